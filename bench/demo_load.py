"""Times `demo --size medium` into a fresh SQLite and a fresh PostgreSQL database, against the ORM as a baseline.

Usage: .venv/bin/python bench/demo_load.py [--size medium] [--sample 200000] [--only sqlite|postgresql]

Each database is loaded in its own process (Django's settings are per process). After the load, the
same process times writing a sample of the loaded purchases again three ways, each rolled back:
the loader's bulk path (romashka.core.bulk: COPY / executemany), Django's bulk_create, and
Model.save() on a small sample; the ORM times are extrapolated to the demo's purchase count.
PostgreSQL uses a throwaway database `romashka_bench` that is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date

UNTIL = date(2026, 11, 23)
PG_SERVER = os.environ.get("ROMASHKA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "romashka_bench"
SAVE_SAMPLE = 5_000


def worker(size: str, sample: int) -> dict:
    """Runs inside the child process whose environment points at the fresh database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "romashka.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from romashka.core.bulk import bulk_insert
    from romashka.core.demo import demo_network_create
    from romashka.path.models import Purchase

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started

    started = time.perf_counter()
    counts = demo_network_create(size=size, seed=7, until=UNTIL)
    demo_s = time.perf_counter() - started

    columns = ["organisation_id", "party_id", "location_id", "occurred_at", "purchased_on", "amount", "receipt_ref",
               "category", "batch_id"]
    rows = list(Purchase.objects.order_by("pk").values_list(*columns)[:sample])
    n = len(rows)
    suffix = "+00" if connection.vendor == "postgresql" else ""

    def timed_rolled_back(write) -> float:
        with transaction.atomic():
            began = time.perf_counter()
            write()
            elapsed = time.perf_counter() - began
            transaction.set_rollback(True)
        return elapsed

    def loader_path() -> None:
        bulk_insert(
            Purchase,
            ["organisation", "party", "location", "occurred_at", "purchased_on", "amount", "source", "receipt_ref",
             "category", "batch"],
            ((o, p, loc, at.strftime("%Y-%m-%d %H:%M:%S") + suffix, day.isoformat(), str(amount), "bench-bulk", ref,
              cat, b) for o, p, loc, at, day, amount, ref, cat, b in rows),
        )

    def orm_bulk_create() -> None:
        Purchase.objects.bulk_create(
            [Purchase(organisation_id=o, party_id=p, location_id=loc, occurred_at=at, purchased_on=day, amount=amount,
                      source="bench-orm", receipt_ref=ref, category=cat, batch_id=b)
             for o, p, loc, at, day, amount, ref, cat, b in rows],
            batch_size=5_000,
        )

    def orm_save() -> None:
        for o, p, loc, at, day, amount, ref, cat, b in rows[:SAVE_SAMPLE]:
            Purchase(organisation_id=o, party_id=p, location_id=loc, occurred_at=at, purchased_on=day, amount=amount,
                     source="bench-save", receipt_ref=ref, category=cat, batch_id=b).save()

    loader_s = timed_rolled_back(loader_path)
    bulk_create_s = timed_rolled_back(orm_bulk_create)
    save_s = timed_rolled_back(orm_save)
    save_n = min(n, SAVE_SAMPLE)
    return {
        "vendor": connection.vendor,
        "migrate_s": migrate_s,
        "demo_s": demo_s,
        "counts": counts,
        "sample": n,
        "loader_per_row_s": loader_s / n,
        "bulk_create_per_row_s": bulk_create_s / n,
        "save_per_row_s": save_s / save_n,
    }


def run_child(env: dict[str, str], size: str, sample: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", "--size", size, "--sample", str(sample)],
        env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"the {env.get('DATABASE_URL') or 'SQLite'} run failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def report(result: dict) -> None:
    purchases = result["counts"]["purchases"]
    demo_s = result["demo_s"]
    bulk_create_all = result["bulk_create_per_row_s"] * purchases
    save_all = result["save_per_row_s"] * purchases
    loader_all = result["loader_per_row_s"] * purchases
    print(f"\n{result['vendor']}: migrate {result['migrate_s']:.1f} s; demo load {demo_s:.1f} s "
          f"({purchases:,} purchases, {result['counts']['guests']:,} guests)")
    print(f"  purchase rows, per 100k (sample of {result['sample']:,}; save() on {min(result['sample'], SAVE_SAMPLE):,}):")
    print(f"    loader bulk path   {result['loader_per_row_s'] * 1e5:7.2f} s   → {loader_all:7.1f} s for all")
    print(f"    ORM bulk_create    {result['bulk_create_per_row_s'] * 1e5:7.2f} s   → {bulk_create_all:7.1f} s for all"
          f"   ratio to loader {result['bulk_create_per_row_s'] / result['loader_per_row_s']:.1f}×")
    print(f"    ORM save()         {result['save_per_row_s'] * 1e5:7.2f} s   → {save_all:7.1f} s for all"
          f"   ratio to loader {result['save_per_row_s'] / result['loader_per_row_s']:.1f}×")
    print(f"  whole demo load vs its purchases through bulk_create alone: {bulk_create_all / demo_s:.2f}×, "
          f"through save(): {save_all / demo_s:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--sample", type=int, default=200_000, help="purchase rows for the write comparison")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.size, args.sample)))
        return

    print(f"Demo load benchmark: size {args.size}, seed 7, until {UNTIL}")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="romashka-bench-") as data_dir:
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            env.update(ROMASHKA_DATA_DIR=data_dir, SECRET_KEY="bench")
            report(run_child(env, args.size, args.sample))
    if args.only in (None, "postgresql"):
        pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        pg_admin(f"CREATE DATABASE {PG_DATABASE}")
        try:
            with tempfile.TemporaryDirectory(prefix="romashka-bench-") as data_dir:
                env = dict(os.environ, DATABASE_URL=f"{PG_SERVER}/{PG_DATABASE}", ROMASHKA_DATA_DIR=data_dir,
                           SECRET_KEY="bench")
                report(run_child(env, args.size, args.sample))
        finally:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
