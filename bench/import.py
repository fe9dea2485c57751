"""Times `file_import` of a POS export (Windows-1251, `;`, decimal commas) into PostgreSQL and SQLite, against
Django's bulk_create on the same rows in the same run.

Usage: .venv/bin/python bench/import.py [--rows 10000000] [--baseline-rows 1000000] [--customers N]
       [--databases sqlite,postgresql] [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--threads 2]

Generates (once per size, cached under bench/.data, git-ignored) a purchases CSV as a point-of-sale system
exports it: a header in Russian, card numbers with leading zeros, DD.MM.YYYY HH:MM:SS, amounts like
«1 234,50» (a space between thousands, decimal comma), a location by its Russian name, a receipt number;
in Windows-1251 with `;`. Each step runs in its own process on a fresh database, so its peak memory
(VmHWM of the process, DuckDB included) and its time are its own:

- import: ``romashka.imports.services.file_import`` end to end (read, check, clients, purchases, commit);
  the client's path refresh is not included (``bench/lifecycle.py`` measures the engine);
- re-import: the same file again into the same database: it must add 0 rows;
- bulk_create: on the first ``--baseline-rows`` rows, what a careful Django developer writes: the csv
  module, Decimal and strptime per row, clients by get-or-create in bulk, ``Purchase.objects.bulk_create``
  in batches of 5,000, in one transaction; and ``file_import`` on the same rows for the ratio.

Benchmarks are not tests and never fail the build; the figures go to the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
SEED = 11
LOCATIONS = [
    ("MSK-01", "Блинная на Тверской"), ("MSK-02", "Блинная на Арбате"), ("MSK-03", "Блинная у Курского"),
    ("SPB-01", "Блинная на Невском"), ("KZN-01", "Блинная на Баумана"), ("EKB-01", "Блинная на Вайнера"),
]  # fmt: skip
HEADER = "Номер карты;Дата чека;Сумма;Магазин;Номер чека"
# The baseline's pair of databases is its own, so that both parts can run at once.
DATABASE, BASELINE_DATABASE = "romashka_bench_import", "romashka_bench_import_baseline"


# --- data ----------------------------------------------------------------------------------------------


def generate(rows: int, customers: int, path: Path) -> None:
    """The CSV described in the module docstring, written in blocks of a million rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(SEED)
    start = np.datetime64("2023-12-01T00:00:00", "s")
    span_seconds = 3 * 365 * 86400
    names = pa.array([name for _code, name in LOCATIONS])
    with path.open("w", encoding="cp1251", newline="") as handle:
        handle.write(HEADER + "\r\n")
        block = 1_000_000
        for first in range(0, rows, block):
            count = min(block, rows - first)
            customer = rng.integers(0, customers, size=count)
            cards = pc.utf8_lpad(pa.array(customer + 1).cast(pa.string()), 10, "0")
            moments = start + rng.integers(0, span_seconds, size=count).astype("timedelta64[s]")
            stamps = pc.strftime(pa.array(moments, pa.timestamp("s")), format="%d.%m.%Y %H:%M:%S")
            kopecks = np.round(rng.lognormal(np.log(62000), 0.6, size=count)).astype(np.int64)
            kopecks[rng.random(count) < 0.015] *= -1  # refunds
            rubles = np.abs(kopecks) // 100
            thousands, units = rubles // 1000, rubles % 1000
            sign = np.where(kopecks < 0, "-", "")
            whole = np.where(
                thousands > 0,
                np.char.add(np.char.add(thousands.astype(str), " "), np.char.zfill(units.astype(str), 3)),
                units.astype(str),
            )
            amounts = np.char.add(np.char.add(np.char.add(sign, whole), ","),
                                  np.char.zfill((np.abs(kopecks) % 100).astype(str), 2))
            location = pc.take(names, pa.array(rng.integers(0, len(LOCATIONS), size=count)))
            receipts = pc.binary_join_element_wise("Ч-", pa.array(np.arange(first, first + count)).cast(pa.string()), "")
            lines = pc.binary_join_element_wise(cards, stamps, pa.array(amounts), location, receipts, ";")
            handle.write("\r\n".join(lines.to_pylist()))
            handle.write("\r\n")
            print(f"  generated {first + count:,} rows", file=sys.stderr)


def data_file(rows: int, customers: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"import-{rows}-{customers}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        generate(rows, customers, partial)
        partial.rename(path)
    return path


def head_file(source: Path, rows: int) -> Path:
    path = source.with_name(f"{source.stem}-head{rows}.csv")
    if not path.exists():
        with source.open("rb") as reader, path.open("wb") as writer:
            for index, line in enumerate(reader):
                if index > rows:
                    break
                writer.write(line)
    return path


# --- one step in its own process -------------------------------------------------------------------------


def worker(step: str, database_url: str, path: Path, fresh: bool) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "romashka.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from romashka.core.models import Location, Organisation

    if fresh:
        call_command("migrate", verbosity=0)
    organisation = Organisation.objects.first()
    if organisation is None:
        organisation = Organisation.objects.create(name="Блинные")
        for code, name in LOCATIONS:
            Location.objects.create(organisation=organisation, code=code, name=name, city="Москва")
    backend = _backend_pid()
    cpu_before = _cpu_seconds(), _process_cpu_seconds(backend)
    started = time.perf_counter()
    if step == "bulk_create":
        rows = django_bulk_create(organisation, path)
        result = {"added": rows}
    else:
        from romashka.imports.services import ImportOptions, file_import

        result = file_import(organisation=organisation, path=path, options=ImportOptions(source="pos"),
                             max_bytes=None, refresh=False)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["cpu_seconds"] = round(_cpu_seconds() - cpu_before[0], 2)
    if backend:
        result["db_cpu_seconds"] = round(_process_cpu_seconds(backend) - cpu_before[1], 2)
    result["peak_memory_mb"] = peak_memory_mb()
    return result


def _cpu_seconds() -> float:
    """CPU time of this process, all its threads (DuckDB's included)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_pid() -> int | None:
    """The PostgreSQL server process serving this connection (same machine), to count its CPU time too."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _process_cpu_seconds(pid: int | None) -> float:
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb() -> int:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the parent's peak over fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def django_bulk_create(organisation, path: Path) -> int:
    """The baseline: an import as Django's documentation suggests it, rows parsed in Python, bulk_create."""
    import csv
    from datetime import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from django.db import transaction

    from romashka.core.models import Location, Party, PartyRole
    from romashka.path.models import ImportBatch, Purchase

    zone = ZoneInfo(organisation.time_zone)
    locations = {name: pk for pk, name in Location.objects.filter(organisation=organisation).values_list("pk", "name")}
    with path.open(encoding="cp1251", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        parsed = []
        for card, stamp, amount, location, receipt in reader:
            occurred = datetime.strptime(stamp, "%d.%m.%Y %H:%M:%S").replace(tzinfo=zone)
            parsed.append((card, occurred, Decimal(amount.replace(" ", "").replace(",", ".")), locations[location],
                           receipt))
    with transaction.atomic():
        batch = ImportBatch.objects.create(organisation=organisation, source="pos", filename=path.name)
        cards = {row[0] for row in parsed}
        # All of the organisation's ids, not `external_id__in=cards`: SQLite refuses that many parameters.
        known = {external_id: pk for external_id, pk in
                 Party.objects.filter(organisation=organisation).values_list("external_id", "pk") if external_id in cards}
        Party.objects.bulk_create([Party(organisation=organisation, name=card, external_id=card)
                                   for card in cards if card not in known], batch_size=5000)
        known = dict(Party.objects.filter(organisation=organisation).values_list("external_id", "pk"))
        PartyRole.objects.bulk_create([PartyRole(party_id=pk, kind="guest") for pk in known.values()],
                                      batch_size=5000, ignore_conflicts=True)
        purchases = (
            Purchase(organisation=organisation, party_id=known[card], location_id=location, occurred_at=occurred,
                     purchased_on=occurred.date(), amount=amount, source="pos", receipt_ref=receipt, batch=batch)
            for card, occurred, amount, location, receipt in parsed
        )
        created = 0
        chunk: list = []
        for purchase in purchases:
            chunk.append(purchase)
            if len(chunk) == 5000:
                Purchase.objects.bulk_create(chunk, ignore_conflicts=True)
                created += len(chunk)
                chunk = []
        if chunk:
            Purchase.objects.bulk_create(chunk, ignore_conflicts=True)
            created += len(chunk)
    return created


def run_step(step: str, database_url: str, path: Path, *, fresh: bool, threads: int) -> dict:
    env = dict(os.environ, ROMASHKA_DUCKDB_THREADS=str(threads), ROMASHKA_DATA_DIR=str(DATA / "var"))
    command = [sys.executable, __file__, "--worker", step, "--database", database_url, "--file", str(path)]
    if fresh:
        command.append("--fresh")
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{step} failed on {database_url}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def import_and_again(kind: str, args, path: Path) -> dict:
    """The whole file into a fresh database, then the same file again (which must add nothing)."""
    url = fresh_database(kind, args.postgres, DATABASE)
    first = run_step("import", url, path, fresh=True, threads=args.threads)
    print(f"{kind}: import of {args.rows:,} rows {first['seconds']} s ({_cpu(first)}), peak "
          f"{first['peak_memory_mb']} MB, added {first['added']:,}, clients {first['clients_added']:,}, "
          f"load average {_load()}", flush=True)
    again = run_step("import", url, path, fresh=False, threads=args.threads)
    print(f"{kind}: re-import {again['seconds']} s ({_cpu(again)}), added {again['added']:,}, already there "
          f"{again['already_there']:,}, load average {_load()}", flush=True)
    return {"import": first, "reimport": again}


def _cpu_total(step: dict) -> float:
    return step.get("cpu_seconds", 0) + step.get("db_cpu_seconds", 0)


def _cpu(step: dict) -> str:
    """CPU seconds of the step: on a shared machine the steadier figure than wall time."""
    text = f"CPU {step.get('cpu_seconds', 0)} s"
    if "db_cpu_seconds" in step:
        text += f" + server {step['db_cpu_seconds']} s"
    return text


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def fresh_database(kind: str, postgres: str, name: str) -> str:
    if kind == "sqlite":
        path = DATA / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: rows / 10")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true", help="only the import and the re-import")
    parser.add_argument("--baseline-only", action="store_true", help="only file_import vs bulk_create on --baseline-rows")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(worker(args.worker, args.database, Path(args.file), args.fresh), default=str))
        return

    customers = args.customers or max(args.rows // 10, 1)
    started = time.perf_counter()
    path = data_file(args.rows, customers)
    print(f"data: {path.name}, {path.stat().st_size / 1024 / 1024:,.0f} MB ({time.perf_counter() - started:.0f} s)")
    baseline_rows = min(args.baseline_rows, args.rows)
    head = head_file(path, baseline_rows) if baseline_rows < args.rows else path
    report: dict = {"rows": args.rows, "customers": customers, "baseline_rows": baseline_rows}
    for kind in [name.strip() for name in args.databases.split(",") if name.strip()]:
        if args.baseline_only:
            report[kind] = {}
        else:
            report[kind] = import_and_again(kind, args, path)
        if args.skip_baseline:
            continue
        url = fresh_database(kind, args.postgres, BASELINE_DATABASE)
        ours = run_step("import", url, head, fresh=True, threads=args.threads)
        url = fresh_database(kind, args.postgres, BASELINE_DATABASE)
        baseline = run_step("bulk_create", url, head, fresh=True, threads=args.threads)
        ratio = baseline["seconds"] / ours["seconds"]
        cpu_ratio = _cpu_total(baseline) / max(_cpu_total(ours), 0.01)
        print(f"{kind}: {baseline_rows:,} rows: file_import {ours['seconds']} s ({_cpu(ours)}), bulk_create "
              f"{baseline['seconds']} s ({_cpu(baseline)}, peak {baseline['peak_memory_mb']} MB): {ratio:.1f}× faster, "
              f"{cpu_ratio:.1f}× less CPU; load average {_load()}", flush=True)
        report[kind].update({"baseline_import": ours, "bulk_create": baseline, "ratio_to_bulk_create": round(ratio, 1),
                             "cpu_ratio_to_bulk_create": round(cpu_ratio, 1)})
    if "postgresql" in args.databases:
        import psycopg

        with psycopg.connect(args.postgres, autocommit=True) as connection:
            for name in (DATABASE, BASELINE_DATABASE):
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
