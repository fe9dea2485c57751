"""Times the RFM grid and the Pareto curve on 10M purchases of 1M customers against pandas in the same run.

Usage: .venv/bin/python bench/rfm.py [--customers 1000000] [--rows 10000000] [--threads 2] [--repeat 1]

The purchases are bench/lifecycle.py's (generated once into bench/.data, git-ignored). Both steps read the
Parquet file, work out each customer's recency, purchase days and money by the lifecycle's rules (a purchase
day is a customer's day whose amounts sum to more than zero), score R, F and M by quintiles with ties, count
customers and revenue per (R, F) square, and draw the Pareto curve (100 points) with the share of
customers bringing 80% of the revenue:

- engine: ``romashka.engine.discovery`` on DuckDB (the time covers reading and the queries), and apart the
  part after the customers' figures (scores, grid, curve), which is what the app runs on its status snapshots;
- pandas: the same as a careful analyst writes it with pandas (the baseline); its grid and share are
  checked to equal the engine's.

Benchmarks are not tests and never fail the build.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lifecycle import AS_OF, SEED, data_files  # noqa: E402

TARGET_SECONDS = 3.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def engine_step(parquet: Path, threads: int) -> tuple[dict, float, float]:
    from romashka.engine.discovery import (
        customer_figures_expr,
        pareto_expr,
        rfm_grid_expr,
        rfm_scores_expr,
    )
    from romashka.engine.lifecycle import duckdb_backend

    started, cpu = time.perf_counter(), _cpu()
    backend = duckdb_backend(threads=threads)
    figures = backend.create_table(
        "figures", customer_figures_expr(backend.read_parquet(str(parquet)), as_of=AS_OF), temp=True)
    scoring_started, scoring_cpu = time.perf_counter(), _cpu()
    grid = backend.to_pyarrow(rfm_grid_expr(rfm_scores_expr(figures))).to_pylist()
    curve = backend.to_pyarrow(pareto_expr(figures)).to_pylist()
    share = curve[0]
    result = {"grid": {(r["r_score"], r["f_score"]): (r["customers"], float(r["revenue"])) for r in grid},
              "curve": len(curve), "top_clients": share["top_clients"], "clients": share["clients"],
              # What the app runs: its status snapshot already holds each client's figures.
              "scoring": (time.perf_counter() - scoring_started, _cpu() - scoring_cpu)}
    return result, time.perf_counter() - started, _cpu() - cpu


def _quintile(values: pd.Series, *, higher_is_better: bool) -> pd.Series:
    """1 + ⌊5 · (number strictly worse) / n⌋, as the engine scores."""
    worse = (values if higher_is_better else -values).rank(method="min") - 1
    return (1 + np.floor(worse * 5 / len(values))).astype(int)


def pandas_step(parquet: Path) -> tuple[dict, float, float]:
    started, cpu = time.perf_counter(), _cpu()
    rows = pd.read_parquet(parquet)
    rows["day"] = rows["purchased_at"].dt.normalize()
    rows = rows[rows["day"] <= pd.Timestamp(AS_OF)]
    rows["kopecks"] = (rows["amount"].astype("float64") * 100).round().astype("int64")
    days = rows.groupby(["customer_id", "day"], sort=False)["kopecks"].sum().reset_index()
    days["is_purchase"] = days["kopecks"] > 0
    bought = days[days["is_purchase"]]
    figures = pd.DataFrame({
        "frequency": bought.groupby("customer_id")["day"].size(),
        "last_day": bought.groupby("customer_id")["day"].max(),
    }).join(days.groupby("customer_id")["kopecks"].sum().rename("kopecks"))
    figures["recency_days"] = (pd.Timestamp(AS_OF) - figures["last_day"]).dt.days
    figures["monetary"] = figures["kopecks"] / 100
    figures["r"] = _quintile(figures["recency_days"], higher_is_better=False)
    figures["f"] = _quintile(figures["frequency"], higher_is_better=True)
    figures["m"] = _quintile(figures["monetary"], higher_is_better=True)
    grid = figures.groupby(["r", "f"]).agg(customers=("monetary", "size"), revenue=("monetary", "sum"))
    positive = figures.loc[figures["monetary"] > 0, "monetary"].sort_values(ascending=False).to_numpy()
    running = np.cumsum(positive)
    top = int(np.searchsorted(running, running[-1] * 0.8, side="left")) + 1
    steps = np.ceil(np.arange(1, len(positive) + 1) * 100 / len(positive)).astype(int)
    curve = pd.Series(running).groupby(steps).max()
    result = {"grid": {(int(r), int(f)): (int(row.customers), float(row.revenue)) for (r, f), row in grid.iterrows()},
              "curve": len(curve), "top_clients": top, "clients": len(positive)}
    return result, time.perf_counter() - started, _cpu() - cpu


def same(engine: dict, baseline: dict) -> str:
    if engine["top_clients"] != baseline["top_clients"] or engine["clients"] != baseline["clients"]:
        return f"Pareto differs: engine {engine['top_clients']}/{engine['clients']}, " \
               f"pandas {baseline['top_clients']}/{baseline['clients']}"
    if set(engine["grid"]) != set(baseline["grid"]):
        return "the grid's squares differ"
    for square, (customers, revenue) in engine["grid"].items():
        other = baseline["grid"][square]
        if customers != other[0] or abs(revenue - other[1]) > 0.5:  # pandas sums floats
            return f"square {square}: engine {customers} / {revenue:.2f}, pandas {other[0]} / {other[1]:.2f}"
    return "same grid and Pareto share"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest counts")
    args = parser.parse_args()
    parquet, _csv = data_files(args.customers, args.rows, SEED)
    runs = [engine_step(parquet, args.threads) for _ in range(args.repeat)]
    engine, engine_seconds, engine_cpu = min(runs, key=lambda run: run[1])
    baselines = [pandas_step(parquet) for _ in range(args.repeat)]
    baseline, pandas_seconds, pandas_cpu = min(baselines, key=lambda run: run[1])
    print(f"RFM grid + Pareto curve, {args.rows:,} purchases of {args.customers:,} customers "
          f"({engine['clients']:,} with money; 80% of revenue from {engine['top_clients']:,})")
    print(f"  engine (DuckDB, {args.threads} threads): {engine_seconds:6.2f} s wall, {engine_cpu:6.2f} s CPU"
          f"   target ≤ {TARGET_SECONDS:.0f} s: {'met' if engine_seconds <= TARGET_SECONDS else 'NOT met'}")
    scoring_seconds, scoring_cpu = engine["scoring"]
    print(f"    of which scores, grid and curve from the 1M customers' figures (the app's path, figures from the "
          f"status snapshot): {scoring_seconds:.2f} s wall, {scoring_cpu:.2f} s CPU")
    print(f"  pandas (baseline):          {pandas_seconds:6.2f} s wall, {pandas_cpu:6.2f} s CPU")
    print(f"  pandas / engine: {pandas_seconds / engine_seconds:.1f}× wall; {same(engine, baseline)}")


if __name__ == "__main__":
    main()
