"""Times the lifecycle engine on 10M purchases against a vectorised pandas implementation in the same run.

Usage: .venv/bin/python bench/lifecycle.py [--customers 1000000] [--rows 10000000] [--threads 2] [--repeat 1]
       [--no-spark]

Generates (once, cached under bench/.data, git-ignored) purchases of 1,000,000 customers as Parquet
and as a Russian-style CSV (``;``, decimal comma, DD.MM.YYYY HH:MM:SS): several receipts a day,
refunds (some cancelling a whole day), customers coming back after a long pause, card numbers with
leading zeros next to the same digits without them, phone numbers, and rows after the status date.

Each step runs in its own process so that its peak memory (ru_maxrss from wait4) is its own:

- engine: ``lifecycle_table`` on DuckDB reading the Parquet file (the time covers reading and the query);
- cli parquet / cli csv: ``romashka lifecycle FILE --out result.csv`` end to end, 1M rows written;
- pandas: the same rules in pandas as a careful analyst writes them (``pandas_lifecycle`` below); its
  result is checked to equal the engine's;
- spark: the same ibis expression on PySpark local[N] (the spark extra, or a venv under bench/.data).

The baseline for the ratios is pandas. Benchmarks are not tests and never fail the build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
AS_OF = date(2026, 11, 23)
HISTORY_DAYS = 3 * 365
SEED = 7
# PySpark from the project's venv when its spark extra is installed; otherwise the bench creates a
# venv of its own on first use (about 450 MB of wheels) unless --no-spark is given.
SPARK_VENV = DATA / "spark-venv"
SPARK_REQUIREMENTS = [
    "ibis-framework[pyspark]==12.0.0",
    "sqlglot==28.10.1",
    "pyarrow==26.0.1",
    "duckdb==2.0.0",
]


# --- data ----------------------------------------------------------------------------------------


def _customer_ids(rng: np.random.Generator, customers: int) -> np.ndarray:
    """70% ten-digit card numbers with leading zeros, 29% phone numbers, 1% the card digits without zeros."""
    numbers = np.unique(rng.integers(0, 10**8, size=int(customers * 1.3)))
    numbers = rng.permutation(numbers)[:customers]
    kinds = rng.random(customers)
    ids = np.empty(customers, dtype=object)
    for index, (number, kind) in enumerate(zip(numbers.tolist(), kinds.tolist(), strict=True)):
        if kind < 0.70:
            ids[index] = f"00{number:08d}"
        elif kind < 0.99:
            ids[index] = f"+79{number:09d}"
        else:
            ids[index] = str(number)
    # "0012345678" and "12345678" must both exist and stay different customers.
    assert len(set(ids.tolist())) == customers
    return ids


def _decimal_from_kopecks(kopecks: np.ndarray) -> pa.Array:
    words = np.empty((len(kopecks), 2), dtype=np.int64)
    words[:, 0] = kopecks
    words[:, 1] = np.where(kopecks < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(kopecks), [None, pa.py_buffer(words)])


def generate(customers: int, rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    ids = _customer_ids(rng, customers)
    # Every customer has a row; the rest follow a heavy tail (a few regulars buy very often).
    weights = rng.lognormal(0.0, 1.2, size=customers)
    counts = 1 + rng.multinomial(rows - customers, weights / weights.sum())
    customer = np.repeat(np.arange(customers), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(rows) - np.repeat(starts, counts)

    first_day = rng.integers(0, HISTORY_DAYS, size=customers)  # days after the history start
    cycle = rng.uniform(0.3, 1.6, size=customers) * (HISTORY_DAYS - first_day) / counts
    gap = rng.exponential(np.repeat(cycle, counts))
    roll = rng.random(rows)
    gap = np.where(roll < 0.25, 0, gap)  # a second receipt the same day
    gap = np.where(roll > 0.985, rng.integers(250, 500, size=rows), gap)  # away, maybe won back later
    gap[starts] = 0
    gap = np.round(gap).astype(np.int64)
    cumulative = np.cumsum(gap)
    offset = cumulative - np.repeat(cumulative[starts], counts)
    # Squeeze each history into the time it has: it ends by a week after the status date at the latest.
    span = np.maximum(offset[starts + counts - 1], 1)
    room = np.maximum(HISTORY_DAYS + 7 - first_day, 0)
    scale = np.minimum(1.0, room / span)
    day = np.repeat(first_day, counts) + np.floor(offset * np.repeat(scale, counts)).astype(np.int64)

    kopecks = np.round(rng.lognormal(7.0, 0.9, size=rows) * 100).astype(np.int64)
    refund = rng.random(rows)
    kopecks = np.where(refund < 0.03, -np.minimum(kopecks, rng.integers(100, 200_000, size=rows)), kopecks)
    # A receipt cancelled the same day: the day sums to zero and is no purchase day.
    cancels = np.flatnonzero((refund > 0.99) & (position > 0))
    kopecks[cancels] = -kopecks[cancels - 1]
    day[cancels] = day[cancels - 1]

    seconds = rng.integers(9 * 3600, 22 * 3600, size=rows)
    history_start = np.datetime64(AS_OF - timedelta(days=HISTORY_DAYS - 1), "s")
    purchased_at = history_start + (day * 86400 + seconds).astype("timedelta64[s]")
    order = np.argsort(purchased_at, kind="stable")  # exports come in time order, not by customer
    return pa.table({
        "customer_id": pa.array(ids[customer[order]], pa.string()),
        "purchased_at": pa.array(purchased_at[order].astype("datetime64[us]")),
        "amount": _decimal_from_kopecks(kopecks[order]),
    })  # fmt: skip


def data_files(customers: int, rows: int, seed: int) -> tuple[Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    stem = DATA / f"purchases-{customers}-{rows}-{seed}-v2"
    parquet_path, csv_path = stem.with_suffix(".parquet"), stem.with_suffix(".csv")
    if parquet_path.exists() and csv_path.exists():
        return parquet_path, csv_path
    started = time.perf_counter()
    table = generate(customers, rows, seed)
    pq.write_table(table, parquet_path.with_suffix(".tmp"), row_group_size=1 << 20)
    parquet_path.with_suffix(".tmp").rename(parquet_path)
    import duckdb

    connection = duckdb.connect()
    connection.register("purchases", table)
    connection.execute(
        'COPY (SELECT customer_id AS "Номер карты", strftime(purchased_at, \'%d.%m.%Y %H:%M:%S\') AS "Дата чека", '
        "replace(CAST(amount AS VARCHAR), '.', ',') AS \"Итого по чеку\" FROM purchases) "
        f"TO '{csv_path.with_suffix('.csv.tmp')}' (FORMAT csv, HEADER, DELIMITER ';')"
    )
    csv_path.with_suffix(".csv.tmp").rename(csv_path)
    print(
        f"generated {rows:,} purchase rows of {customers:,} customers in {time.perf_counter() - started:.1f} s"
    )
    return parquet_path, csv_path


# --- pandas, as analysts do it today -------------------------------------------------------------


def pandas_lifecycle(
    path: Path,
    *,
    as_of: date,
    cycle_days: int = 90,
    fan_min_purchases: int = 3,
    lost_after_days: int | None = None,
):
    """The lifecycle rules in vectorised pandas: integer keys, sorted groupby, diff/cumsum; no loops."""
    import pandas as pd

    lost_after_days = 3 * cycle_days if lost_after_days is None else lost_after_days
    table = pq.read_table(path, columns=["customer_id", "purchased_at", "amount"])
    # Customers as integer codes (one hash pass; groupby on codes is far cheaper than on strings),
    # days as integers, money as integer kopecks: exact, since amounts carry two decimals.
    customers = table.column("customer_id").combine_chunks().dictionary_encode()
    as_of_day = (as_of - date(1970, 1, 1)).days
    frame = pd.DataFrame({
        "customer": customers.indices.to_numpy(),
        "day": pc.cast(pc.cast(table.column("purchased_at"), pa.date32()), pa.int32()).to_numpy(),
        "kopecks": np.rint(pc.cast(table.column("amount"), pa.float64()).to_numpy() * 100).astype(np.int64),
    })  # fmt: skip
    id_names = customers.dictionary
    del table
    frame = frame[frame["day"].to_numpy() <= as_of_day]

    # One int64 key per (customer, day): a single-key groupby is about twice as fast as two keys.
    first_day = int(frame["day"].min())
    key = (frame["customer"].to_numpy().astype(np.int64) << 20) | (frame["day"].to_numpy() - first_day)
    day_sums = frame["kopecks"].groupby(key, sort=True).sum()
    del frame
    day_keys = day_sums.index.to_numpy()
    days = pd.DataFrame({
        "customer": day_keys >> 20,
        "day": (day_keys & ((1 << 20) - 1)) + first_day,
        "kopecks": day_sums.to_numpy(),
    })  # fmt: skip
    monetary = days.groupby("customer", sort=True)["kopecks"].sum()

    bought = days[days["kopecks"].to_numpy() > 0]
    customer = bought["customer"].to_numpy()
    day = bought["day"].to_numpy()
    new_customer = np.empty(len(customer), dtype=bool)
    new_customer[:1] = True
    new_customer[1:] = customer[1:] != customer[:-1]
    gap = np.diff(day, prepend=day[:1])
    episode_start = new_customer | (gap > lost_after_days)
    episode = np.cumsum(episode_start)
    per_day = pd.DataFrame(
        {"customer": customer, "day": day, "episode_start": episode_start, "episode": episode}
    )
    grouped = per_day.groupby("customer", sort=True)
    per_customer = grouped.agg(
        purchase_days=("day", "size"),
        first_day=("day", "first"),
        last_day=("day", "last"),
        episodes=("episode_start", "sum"),
        current_episode=("episode", "last"),
    )
    episode_sizes = np.bincount(episode)
    per_customer["episode_purchase_days"] = episode_sizes[per_customer["current_episode"].to_numpy()]

    result = pd.DataFrame({"monetary_kopecks": monetary})
    result = result.join(per_customer, how="left")
    purchase_days = result["purchase_days"].fillna(0).astype("int64")
    episode_days = result["episode_purchase_days"].fillna(0).astype("int64")
    recency = as_of_day - result["last_day"]
    status = np.select(
        [purchase_days.to_numpy() == 0, (recency > lost_after_days).to_numpy(),
         (recency > cycle_days).to_numpy(), (episode_days >= fan_min_purchases).to_numpy()],
        ["lead", "lost", "dormant", "fan"],
        default="novice",
    )  # fmt: skip
    out = pd.DataFrame({
        "customer_id": id_names.take(pa.array(result.index.to_numpy())).to_numpy(zero_copy_only=False),
        "status": status,
        "purchase_days": purchase_days.to_numpy(),
        "episode_purchase_days": episode_days.to_numpy(),
        "first_purchase": pd.to_datetime(result["first_day"], unit="D").to_numpy(),
        "last_purchase": pd.to_datetime(result["last_day"], unit="D").to_numpy(),
        "recency_days": recency.astype("Int64").array,
        "monetary_kopecks": result["monetary_kopecks"].to_numpy(),
        "won_back": (result["episodes"].fillna(0) > 1).to_numpy(),
    })  # fmt: skip
    return out.sort_values("customer_id", kind="stable", ignore_index=True)


# --- steps, each in its own process --------------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def step_engine(parquet_path: Path, threads: int, result_path: Path) -> tuple[float, float]:
    from romashka.engine.lifecycle import duckdb_backend, lifecycle_table

    backend = duckdb_backend(threads=threads)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = lifecycle_table(backend.read_parquet(parquet_path), as_of=AS_OF, backend=backend)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    pq.write_table(result, result_path)
    return elapsed, cpu


def step_pandas(parquet_path: Path, result_path: Path) -> tuple[float, float]:
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = pandas_lifecycle(parquet_path, as_of=AS_OF)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    result.to_parquet(result_path, index=False)
    return elapsed, cpu


def step_spark(parquet_path: Path, threads: int, result_path: Path) -> tuple[float, float]:
    import ibis
    from pyspark.sql import SparkSession

    from romashka.engine import lifecycle_table

    session = (
        SparkSession.builder.master(f"local[{threads}]")
        .config("spark.driver.memory", "3g")
        .config("spark.sql.shuffle.partitions", str(4 * threads))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    backend = ibis.pyspark.connect(session)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = lifecycle_table(backend.read_parquet(str(parquet_path)), as_of=AS_OF, backend=backend)
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    pq.write_table(result, result_path)
    session.stop()
    return elapsed, cpu


def run_child(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str, str]:
    """(wall seconds, peak RSS MB, CPU seconds, stdout, stderr) of one child process, from wait4."""
    started = time.perf_counter()
    with open(os.devnull, "rb") as stdin:
        process = subprocess.Popen(
            command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT
        )
    tree_peak = _TreePeak(process.pid)
    tree_peak.start()
    # Read both pipes before waiting so that a chatty child cannot block on a full pipe.
    stdout, stderr = _drain(process)
    tree_peak.stop()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({process.returncode}):\n{stderr[-3000:]}")
    # ru_maxrss misses children the process never waits for (Spark's JVM); the sampled tree does not.
    peak_mb = max(usage.ru_maxrss / 1024, tree_peak.peak_kb / 1024)
    return elapsed, peak_mb, usage.ru_utime + usage.ru_stime, stdout, stderr


class _TreePeak:
    """Samples the summed RSS of a process and all its descendants from /proc every 50 ms."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak_kb, self._done = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            self.peak_kb = max(self.peak_kb, self._tree_rss_kb())

    def _tree_rss_kb(self) -> int:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
            tree.update(children)
            frontier.extend(children)
        total = 0
        for pid in tree:
            try:
                with open(f"/proc/{pid}/status") as handle:
                    total += next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
            except OSError:
                continue
        return total


def _drain(process: subprocess.Popen) -> tuple[str, str]:
    import threading

    chunks: dict[str, bytes] = {}

    def read(name, pipe):
        chunks[name] = pipe.read()
        pipe.close()

    readers = [
        threading.Thread(target=read, args=(name, pipe))
        for name, pipe in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return chunks["out"].decode(errors="replace"), chunks["err"].decode(errors="replace")


def child_step(
    name: str,
    python: str,
    parquet_path: Path,
    threads: int,
    result_path: Path,
    env: dict[str, str] | None = None,
) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the timed part, peak RSS MB of the whole process)."""
    command = [
        python,
        str(Path(__file__).resolve()),
        "--step",
        name,
        "--parquet",
        str(parquet_path),
        "--threads",
        str(threads),
        "--result",
        str(result_path),
    ]
    _, peak_mb, _, stdout, _ = run_child(command, env)
    reported = json.loads(stdout.strip().splitlines()[-1])
    return reported["seconds"], reported["cpu"], peak_mb


def same_result(engine_path: Path, pandas_path: Path) -> str:
    engine = pq.read_table(engine_path)
    other = pq.read_table(pandas_path)
    engine_kopecks = pc.cast(
        pc.multiply(pc.cast(engine.column("monetary"), pa.decimal128(18, 2)), 100), pa.int64()
    )
    checks = {
        "customer_id": (engine.column("customer_id"), other.column("customer_id")),
        "status": (engine.column("status"), other.column("status")),
        "purchase_days": (engine.column("purchase_days"), other.column("purchase_days")),
        "episode_purchase_days": (
            engine.column("episode_purchase_days"),
            other.column("episode_purchase_days"),
        ),
        "first_purchase": (engine.column("first_purchase"), other.column("first_purchase")),
        "last_purchase": (engine.column("last_purchase"), other.column("last_purchase")),
        "recency_days": (engine.column("recency_days"), other.column("recency_days")),
        "monetary": (engine_kopecks, other.column("monetary_kopecks")),
        "won_back": (engine.column("won_back"), other.column("won_back")),
    }
    if engine.num_rows != other.num_rows:
        return f"DIFFERENT: {engine.num_rows:,} rows against {other.num_rows:,}"
    wrong = [
        name
        for name, (left, right) in checks.items()
        if not left.combine_chunks().equals(pc.cast(right, left.type).combine_chunks())
    ]
    return "identical" if not wrong else "DIFFERENT in " + ", ".join(wrong)


def spark_python() -> str | None:
    import importlib.util

    if importlib.util.find_spec("pyspark") is not None:  # the project's spark extra is installed
        return sys.executable
    python = SPARK_VENV / "bin" / "python"
    if not python.exists():
        print("creating the PySpark venv under bench/.data (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SPARK_VENV)], check=True)
        done = subprocess.run(
            [str(SPARK_VENV / "bin" / "pip"), "install", "-q", *SPARK_REQUIREMENTS], check=False
        )
        if done.returncode != 0:
            return None
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest counts")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.step:
        parquet_path, result_path = Path(arguments.parquet), Path(arguments.result)
        seconds, cpu = {
            "engine": lambda: step_engine(parquet_path, arguments.threads, result_path),
            "pandas": lambda: step_pandas(parquet_path, result_path),
            "spark": lambda: step_spark(parquet_path, arguments.threads, result_path),
        }[arguments.step]()
        print(json.dumps({"seconds": seconds, "cpu": cpu}))
        return

    parquet_path, csv_path = data_files(arguments.customers, arguments.rows, SEED)
    print(
        f"{arguments.rows:,} purchase rows, {arguments.customers:,} customers, as of {AS_OF}, "
        f"{arguments.threads} threads, {os.cpu_count()} CPUs"
    )
    load = os.getloadavg()[0]
    results: list[tuple[str, float, float, float]] = []  # label, wall s, CPU s, peak MB
    env = {**os.environ, "ROMASHKA_DUCKDB_THREADS": str(arguments.threads)}

    def best(measure) -> tuple[float, float, float]:
        # Best of --repeat runs by wall time: other work on the machine only ever adds time.
        return min((measure() for _ in range(arguments.repeat)), key=lambda measured: measured[0])

    for name, label, step_env in (
        ("pandas", "pandas, vectorised (from Parquet)", None),
        ("engine", "engine on DuckDB (from Parquet)", env),
    ):
        seconds, cpu, peak = best(
            lambda name=name, step_env=step_env: child_step(
                name,
                sys.executable,
                parquet_path,
                arguments.threads,
                DATA / f"result-{name}.parquet",
                step_env,
            )
        )
        results.append((label, seconds, cpu, peak))
    romashka = str(ROOT / ".venv" / "bin" / "romashka")
    for label, source in (("Parquet", parquet_path), ("CSV", csv_path)):
        command = [romashka, "lifecycle", str(source), "--as-of", AS_OF.isoformat(), "--out"]
        command.append(str(DATA / f"result-cli-{label.lower()}.csv"))
        seconds, peak, cpu, _, _ = min(
            (run_child(command, env) for _ in range(arguments.repeat)), key=lambda measured: measured[0]
        )
        results.append((f"romashka lifecycle from {label}, 1M rows to CSV", seconds, cpu, peak))

    spark_note = "PySpark: skipped (--no-spark)"
    if not arguments.no_spark:
        python = spark_python()
        if python is None:
            spark_note = "PySpark: skipped, pyspark could not be installed (see pip's output above)"
        else:
            spark_env = {**env, "PYTHONPATH": str(ROOT / "src"), "PYSPARK_PYTHON": python}
            try:
                seconds, cpu, peak = child_step(
                    "spark", python, parquet_path, arguments.threads, DATA / "result-spark.parquet", spark_env
                )
                results.append(
                    (f"same ibis expression on PySpark local[{arguments.threads}]", seconds, cpu, peak)
                )
                engine_result = pq.read_table(DATA / "result-engine.parquet")
                spark_result = pq.read_table(DATA / "result-spark.parquet").sort_by("customer_id")
                same = spark_result.cast(engine_result.schema).equals(engine_result)
                spark_note = f"PySpark result vs engine: {'identical' if same else 'DIFFERENT'}"
            except (RuntimeError, ValueError, pa.ArrowException) as error:
                spark_note = f"PySpark: failed ({str(error).strip().splitlines()[-1][:300]})"

    pandas_seconds = results[0][1]
    width = max(len(label) for label, *_ in results)
    print(f"\n{'step':<{width}}  {'seconds':>8}  {'× pandas':>9}  {'CPU s':>7}  {'peak MB':>8}")
    for label, seconds, cpu, peak in results:
        print(f"{label:<{width}}  {seconds:8.2f}  {pandas_seconds / seconds:8.2f}×  {cpu:7.2f}  {peak:8.0f}")
    engine_vs_pandas = same_result(DATA / "result-engine.parquet", DATA / "result-pandas.parquet")
    print(f"\npandas result vs engine: {engine_vs_pandas}")
    print(spark_note)
    print(
        f"load average before/after: {load:.2f}/{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
        "(above ~0.5, other work shares the cores and the seconds are inflated; CPU s is steadier)\n"
        "× pandas: how many times faster than pandas in this run; CPU s: user+system of the timed part "
        "(engine, pandas, Spark) or of the whole process (CLI); peak MB: the larger of ru_maxrss and the sampled RSS of the process tree (Spark's JVM included)"
    )


if __name__ == "__main__":
    main()
