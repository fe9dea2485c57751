"""Times the segment table on the medium demo: the page and its figures cold and warm, against the query per segment.

Usage: ROMASHKA_DATA_DIR=var .venv/bin/python bench/segments.py [--build] [--repeat 5]
       (or DATABASE_URL=postgres://… for PostgreSQL)

The database must hold the demo (`romashka demo --size medium`); --build loads it when it is empty.
Timed in the same process:

- page: GET /segments/ as the owner through Django's test client (URL resolution, the figures' queries, the
  template; no network): the process's very first request (imports, template compilation), then the
  first request after the clients' discovery figures are rebuilt as a status refresh does (cold), and the
  median of --repeat more (warm), with the number of queries;
- figures: discovery.selectors.segment_table alone, cold (first call after the rebuild) and warm;
- baseline: the table as it was computed before (one aggregate query per segment and one for all clients,
  each probing every client's purchases for retention), in the same run; its clients, revenue, purchase
  days, fans and retention are checked to equal the selector's.

The target (issue 10): the segment table for the medium demo ≤ 1 s. Benchmarks are not tests and never
fail the build.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta

TARGET_SECONDS = 1.0


def baseline_table(user) -> list[tuple]:
    """The figures as discovery computed them before the grouped query: a query per segment, with two
    correlated probes of each client's purchases for retention."""
    from django.db.models import Count, Exists, OuterRef, Q, Sum

    from romashka.core.access import Capability, require
    from romashka.core.models import Organisation
    from romashka.discovery.selectors import discovery_clients, figures_as_of, segments_visible
    from romashka.path.choices import Status
    from romashka.path.models import Purchase

    scope = require(user, Capability.VIEW_DISCOVERY)
    cycle_days = Organisation.objects.get(pk=scope.organisation_id).default_cycle_days
    as_of = figures_as_of(scope.organisation_id)

    def bought(start: date, end: date) -> Exists:
        return Exists(
            Purchase.objects.filter(
                party_id=OuterRef("pk"), purchased_on__gt=start, purchased_on__lte=end, amount__gt=0
            )
        )

    last = bought(as_of - timedelta(days=cycle_days), as_of)
    before = bought(as_of - timedelta(days=2 * cycle_days), as_of - timedelta(days=cycle_days))
    rows = []
    for segment in [None, *segments_visible(user)]:
        f = discovery_clients(user, segment).aggregate(
            clients=Count("pk"),
            revenue=Sum("status_snapshot__monetary"),
            days=Sum("status_snapshot__purchase_days"),
            fans=Count("pk", filter=Q(status_snapshot__status=Status.FAN)),
            active_before=Count("pk", filter=Q(before)),
            retained=Count("pk", filter=Q(before) & Q(last)),
        )
        rows.append(
            _comparable(
                segment, f["clients"], f["revenue"], f["days"], f["fans"], f["retained"], f["active_before"]
            )
        )
    return rows


def _comparable(segment, clients, revenue, days, fans, retained, active_before) -> tuple:
    """(segment, clients, revenue, purchase days, fans, retention) as both ways give them."""
    from decimal import Decimal

    retention = None if retained is None or not active_before else round(retained / active_before, 6)
    return (
        segment.pk if segment else None,
        clients,
        Decimal(str(revenue or 0)).quantize(Decimal("0.01")),
        days or 0,
        fans,
        retention,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build", action="store_true", help="load the medium demo when the database is empty"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from demo_db import medium_demo

    organisation = medium_demo(build=args.build)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from romashka.discovery import selectors
    from romashka.discovery.services import client_figures_refresh
    from romashka.path.models import Purchase

    settings.ALLOWED_HOSTS = ["*"]
    owner = get_user_model().objects.get(username="owner")
    segments = selectors.segments_visible(owner).count()
    print(
        f"{connection.vendor}: {Purchase.objects.count():,} purchases, "
        f"{selectors.discovery_clients(owner).count():,} clients, {segments} segments; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )

    client = Client()
    client.force_login(owner)

    def request() -> tuple[float, int]:
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get("/segments/")
            seconds = time.perf_counter() - began
        assert response.status_code == 200, response.status_code
        return seconds, len(captured)

    first, _queries = request()
    print(
        f"first request of the process (imports the URLconf and compiles the templates; once per server start): "
        f"{first * 1000:.0f} ms"
    )
    began = time.perf_counter()
    client_figures_refresh(organisation_id=organisation.pk, as_of=selectors.figures_as_of(organisation.pk))
    print(
        f"clients' discovery figures rebuilt as after a status refresh: {time.perf_counter() - began:.2f} s "
        f"(part of the refresh)"
    )
    cold, cold_queries = request()
    warm = [request() for _ in range(args.repeat)]
    warm_s = statistics.median(seconds for seconds, _q in warm)
    verdict = "met" if max(cold, warm_s) <= TARGET_SECONDS else "NOT met"
    print(
        f"page /segments/ as the owner: cold (first after the rebuild) {cold * 1000:.0f} ms, {cold_queries} "
        f"queries; warm {warm_s * 1000:.0f} ms (median of {args.repeat}), {warm[-1][1]} queries; "
        f"target ≤ {TARGET_SECONDS:.0f} s: {verdict}"
    )

    def timed(work) -> tuple[float, float, object]:
        began = time.perf_counter()
        result = work()
        first = time.perf_counter() - began
        times = []
        for _ in range(max(1, args.repeat // 2)):
            began = time.perf_counter()
            work()
            times.append(time.perf_counter() - began)
        return first, statistics.median(times), result

    connection.close()  # a new connection: nothing of the page's queries cached on the client side
    ours_first, ours_s, ours = timed(lambda: selectors.segment_table(user=owner))
    connection.close()
    base_first, base_s, base = timed(lambda: baseline_table(owner))
    ours_rows = [
        _comparable(
            r.segment,
            r.clients,
            r.revenue,
            round((r.frequency or 0) * r.clients),
            round((r.fan_share or 0) * r.clients),
            r.retention,
            1,
        )
        for r in ours
    ]
    same = ours_rows == base
    print(
        f"figures alone: {ours_first * 1000:.0f} ms first, {ours_s * 1000:.0f} ms warm; baseline (a query per "
        f"segment, probes per client): {base_first * 1000:.0f} ms first, {base_s * 1000:.0f} ms warm; "
        f"ratio {base_first / ours_first:.1f}× first, {base_s / ours_s:.1f}× warm; "
        f"{'same clients, revenue, fans and retention' if same else 'FIGURES DIFFER'}"
    )


if __name__ == "__main__":
    main()
