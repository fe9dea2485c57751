"""Times the BG/NBD fit and predictions on 1,000,000 customers against lifetimes' BetaGeoFitter in the same run.

Usage: .venv/bin/python bench/clv.py [--customers 1000000] [--repeat 1]

Simulates a BG/NBD population with known parameters (52 weeks of history at most, times in weeks,
recorded to the day as a real summary is), then measures in this run:

- romashka: ``engine.clv.fit_bgnbd`` on the summary (compression of identical rows included);
- lifetimes: ``BetaGeoFitter().fit`` on the same summary, in a venv of its own under bench/.data
  (lifetimes 0.11.3 and what it needs; created on first use, about 100 MB), in its own process;
- prediction: P(alive) and expected purchases in the next 13 weeks for every customer.

It prints both fits' parameters (they must agree to 3 significant digits), the times and the ratio,
with lifetimes as the baseline. Benchmarks are not tests and never fail the build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT / "bench" / ".data"
LIFETIMES_VENV = DATA / "lifetimes-venv"
TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
LIFETIMES_STEP = """
import json, sys, time
import numpy as np
from lifetimes import BetaGeoFitter
data = np.load(sys.argv[1])
started = time.perf_counter()
fitter = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "params": {k: float(v) for k, v in fitter.params_.items()}}))
"""


def simulate(customers: int, seed: int = 11) -> dict[str, np.ndarray]:
    """A BG/NBD population: λ ~ Gamma(r, 1/α), p ~ Beta(a, b); after each purchase the customer leaves with p."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], size=customers)
    dropout = rng.beta(TRUE["a"], TRUE["b"], size=customers)
    # Whole days since the first purchase, in weeks: a summary built from purchase dates looks like this.
    T = rng.integers(7, 365, size=customers) / 7.0
    frequency = np.zeros(customers)
    recency = np.zeros(customers)
    clock = np.zeros(customers)
    active = np.ones(customers, dtype=bool)
    while active.any():
        index = np.nonzero(active)[0]
        clock[index] += rng.exponential(1 / rate[index])
        inside = clock[index] <= T[index]
        bought = index[inside]
        frequency[bought] += 1
        recency[bought] = np.floor(clock[bought] * 7) / 7
        active[index[~inside]] = False
        active[bought[rng.random(bought.size) < dropout[bought]]] = False
    recency = np.minimum(recency, T)
    return {"frequency": frequency, "recency": np.where(frequency > 0, recency, 0.0), "T": T}


def lifetimes_python() -> str:
    python = LIFETIMES_VENV / "bin" / "python"
    if not python.exists():
        print("creating bench/.data/lifetimes-venv (lifetimes 0.11.3) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LIFETIMES_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "lifetimes==0.11.3"], check=True)
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest counts")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)

    from romashka.engine import clv

    started = time.perf_counter()
    summary = simulate(args.customers)
    print(f"simulated {args.customers:,} customers in {time.perf_counter() - started:.1f} s "
          f"({int((summary['frequency'] > 0).sum()):,} with repeat purchases)")
    path = DATA / f"clv-summary-{args.customers}.npz"
    np.savez(path, **summary)

    ours = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        fit = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
        ours.append(time.perf_counter() - started)
    predict = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        clv.bgnbd_probability_alive(fit.values(), summary["frequency"], summary["recency"], summary["T"])
        clv.bgnbd_expected_purchases(fit.values(), 13.0, summary["frequency"], summary["recency"], summary["T"])
        predict.append(time.perf_counter() - started)

    theirs = []
    lifetimes_params = None
    for _ in range(args.repeat):
        output = subprocess.run([lifetimes_python(), "-c", LIFETIMES_STEP, str(path)], capture_output=True, text=True,
                                check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        measured = json.loads(output.stdout.strip().splitlines()[-1])
        theirs.append(measured["seconds"])
        lifetimes_params = measured["params"]

    print(f"\n{'':12} {'r':>9} {'alpha':>9} {'a':>9} {'b':>9}")
    print(f"{'true':12} " + " ".join(f"{TRUE[k]:9.4f}" for k in ("r", "alpha", "a", "b")))
    print(f"{'romashka':12} " + " ".join(f"{fit.params[k]:9.4f}" for k in ("r", "alpha", "a", "b")))
    print(f"{'lifetimes':12} " + " ".join(f"{lifetimes_params[k]:9.4f}" for k in ("r", "alpha", "a", "b")))
    agree = all(float(f"{fit.params[k]:.3g}") == float(f"{lifetimes_params[k]:.3g}") for k in TRUE)
    print(f"same parameters to 3 significant digits: {'yes' if agree else 'NO'}")
    print(f"\nBG/NBD fit, {args.customers:,} customers: romashka {min(ours):.2f} s, lifetimes {min(theirs):.2f} s "
          f"→ {min(theirs) / min(ours):.1f}× faster")
    print(f"prediction (P(alive) and 13-week expected purchases), {args.customers:,} customers: {min(predict):.2f} s")


if __name__ == "__main__":
    main()
