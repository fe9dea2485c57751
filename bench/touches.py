"""Times a day of the touch system on the medium demo: cancelling obsolete tasks and generating the
entries and tasks of one day's status events, against a row-by-row ORM version in the same run.

Usage: ROMASHKA_DATA_DIR=var .venv/bin/python bench/touches.py [--build] [--repeat 3]
       (or DATABASE_URL=postgres://… for PostgreSQL)

The database must hold the demo (`romashka demo --size medium`); --build loads it when it is empty.
The statuses are refreshed to the day after the demo's last day first (not timed: the issue's target
is "after a refresh"); then, each in a transaction that is rolled back:

- romashka: tasks_cancel_obsolete + entries_generate, the daily run's set-based path;
- orm: the same work as a careful Django beginner writes it: per open task a look at the client's
  snapshot and save(), per new event Entry.objects.create and Task.objects.create per step.

The target: ≤ 10 s for the romashka path. Benchmarks are not tests and never fail the build.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta


def _a_days_purchases(organisation, day) -> int:
    """A café network's day: ~1,000 receipts, a third of them by clients who have an open touch (so some
    buy before the offer reaches them), the rest by other guests. Written for good: the bench moves on
    a day each run."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import numpy as np
    from django.db import transaction

    from romashka.core.bulk import bulk_insert
    from romashka.path.models import Purchase, StatusSnapshot
    from romashka.touches.choices import TaskState
    from romashka.touches.models import Task

    rng = np.random.default_rng(day.toordinal())
    touched = list(Task.objects.filter(organisation=organisation, state=TaskState.OPEN)
                   .values_list("party_id", flat=True).distinct())
    others = list(StatusSnapshot.objects.filter(organisation=organisation, status__in=["novice", "fan", "dormant"])
                  .values_list("party_id", flat=True))
    chosen = set(rng.choice(touched, size=min(len(touched), 330), replace=False).tolist()) if touched else set()
    chosen |= set(rng.choice(others, size=min(len(others), 700), replace=False).tolist()) if others else set()
    homes = dict(organisation.parties.filter(pk__in=chosen).values_list("pk", "home_location_id"))
    moment = datetime.combine(day, datetime.min.time(), ZoneInfo(organisation.time_zone)).replace(hour=13)
    stamp = moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
    from django.db import connection

    stamp += "+00" if connection.vendor == "postgresql" else ""
    with transaction.atomic():
        return bulk_insert(
            Purchase, ["organisation", "party", "location", "occurred_at", "purchased_on", "amount", "source",
                       "receipt_ref", "category"],
            ((organisation.pk, party, homes.get(party), stamp, day.isoformat(), f"{float(rng.gamma(4, 150)):.2f}",
              "bench", f"bench-{day}-{party}", "") for party in sorted(chosen)),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="load the medium demo when the database is empty")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from demo_db import medium_demo

    organisation = medium_demo(build=args.build)
    from django.db import connection, transaction
    from django.db.models import Max

    from romashka.path.models import StatusEvent, StatusSnapshot
    from romashka.path.services import status_refresh
    from romashka.touches import services
    from romashka.touches.choices import CancelReason, Group, TaskState
    from romashka.touches.models import Entry, Task

    last_day = StatusSnapshot.objects.filter(organisation=organisation).aggregate(d=Max("as_of"))["d"]
    day = last_day + timedelta(days=1)
    purchases = _a_days_purchases(organisation, day)
    started = time.perf_counter()
    status_refresh(organisation=organisation, as_of=day)
    print(f"statuses refreshed to {day} in {time.perf_counter() - started:.1f} s ({connection.vendor})")
    events = StatusEvent.objects.filter(organisation=organisation, changed_on=day).count()
    open_tasks = Task.objects.filter(organisation=organisation, state=TaskState.OPEN).count()
    print(f"{purchases:,} purchases added on {day}; {events:,} status events; {open_tasks:,} open tasks; "
          f"{Task.objects.filter(organisation=organisation).count():,} tasks in all")

    def romashka_path() -> dict:
        counts = services.tasks_cancel_obsolete(organisation=organisation, as_of=day)
        counts.update(services.entries_generate(organisation=organisation, as_of=day))
        return counts

    def orm_path() -> dict:
        cancelled = 0
        for task in Task.objects.filter(organisation=organisation, state=TaskState.OPEN).select_related("step", "entry"):
            snapshot = StatusSnapshot.objects.filter(party_id=task.party_id).first()
            reason = ""
            if task.step.aims_at_purchase and snapshot and snapshot.last_purchase and \
                    snapshot.last_purchase > task.entry.entered_on:
                reason = CancelReason.CLIENT_BOUGHT
            elif snapshot is None or snapshot.status != task.entry.status or \
                    snapshot.status_since != task.entry.entered_on:
                reason = CancelReason.LEFT_STATUS
            if reason:
                task.state, task.cancel_reason, task.cancelled_on = TaskState.CANCELLED, reason, day
                task.save()
                cancelled += 1
        versions = {v.standard.trigger: v for v in services.current_versions(organisation=organisation)}
        created = 0
        since = day - timedelta(days=services.LOOKBACK_DAYS)
        for event in StatusEvent.objects.filter(organisation=organisation, changed_on__gte=since, changed_on__lte=day):
            snapshot = StatusSnapshot.objects.filter(party_id=event.party_id).first()
            if snapshot is None or snapshot.status != event.to_status or snapshot.status_since != event.changed_on:
                continue
            version = versions.get(services.trigger_of(event.from_status, event.to_status))
            if version is None or Entry.objects.filter(party_id=event.party_id, standard_id=version.standard_id,
                                                       entered_on=event.changed_on).exists():
                continue
            control = services.in_control(party_id=event.party_id, standard_id=version.standard_id,
                                          entered_on=event.changed_on, share=version.control_share)
            entry = Entry.objects.create(organisation=organisation, standard_id=version.standard_id, version=version,
                                         party_id=event.party_id, location_id=event.party.home_location_id,
                                         entered_on=event.changed_on, status=event.to_status,
                                         group=Group.CONTROL if control else Group.TREATED)
            created += 1
            if control:
                continue
            for step in version.steps.all():
                Task.objects.create(organisation=organisation, entry=entry, step=step, party_id=event.party_id,
                                    location_id=entry.location_id, channel=step.channel,
                                    due_on=event.changed_on + timedelta(days=step.delay_days))
        return {"cancelled": cancelled, "entries": created}

    def timed(work) -> tuple[float, dict]:
        with transaction.atomic():
            began = time.perf_counter()
            result = work()
            elapsed = time.perf_counter() - began
            transaction.set_rollback(True)
        return elapsed, result

    ours = [timed(romashka_path) for _ in range(args.repeat)]
    baseline = [timed(orm_path) for _ in range(max(1, args.repeat // 2))]
    ours_s = statistics.median(t for t, _ in ours)
    base_s = statistics.median(t for t, _ in baseline)
    print(f"romashka: {ours_s:.2f} s (median of {len(ours)}) {ours[0][1]}")
    print(f"orm row by row: {base_s:.2f} s {baseline[0][1]}")
    print(f"ratio: {base_s / ours_s:.1f}× faster; target ≤ 10 s: {'met' if ours_s <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
