"""Keeping statuses fresh: a refresh is due each new day and after the purchases or clients change.

`romashka serve` runs `refresh_loop` in a background thread, so one laptop needs no scheduler or
worker; `romashka refresh --if-due` does one round for cron or a systemd timer on a server.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from django.db import close_old_connections
from django.db.models import Count, Max

from romashka.core.choices import PartyKind
from romashka.core.models import Organisation, Party
from romashka.path.models import Purchase, StatusRefresh

log = logging.getLogger(__name__)


def data_version(*, organisation: Organisation | int) -> str:
    """Changes when purchases or guests are added or deleted: the key of figures cached until the data changes.

    Only guests count among parties, as the status refresh reads only them: a supplier or a B2B
    committee member added later does not make the statuses stale.
    """
    purchases = Purchase.objects.filter(organisation=organisation).aggregate(n=Count("id"), m=Max("id"))
    parties = Party.objects.filter(organisation=organisation, roles__kind=PartyKind.GUEST).aggregate(
        n=Count("id"), m=Max("id")
    )
    return f"{purchases['n']}.{purchases['m']}:{parties['n']}.{parties['m']}"


def status_refresh_logged(*, organisation: Organisation, as_of: date, progress=None) -> dict:
    """status_refresh, remembering the date and the data it saw; the buy-till-you-die predictions are
    refitted on the same data right after (planning.services.clv_refresh), so both always agree, and the
    chamomile's facts (guests by status per month end, revenue per location and day) rebuilt."""
    from romashka.chamomile.facts import facts_refresh
    from romashka.discovery.services import client_figures_refresh
    from romashka.path.services import status_refresh
    from romashka.planning.services import clv_refresh

    version = data_version(organisation=organisation)  # before reading: changes during the run make it due again
    result = status_refresh(organisation=organisation, as_of=as_of, progress=progress)
    result["clv"] = clv_refresh(organisation=organisation, as_of=as_of)
    StatusRefresh.objects.create(organisation=organisation, as_of=as_of, data_version=version,
                                 seconds=result.get("seconds", 0))
    # The chamomile reads its aggregates of these statuses and purchases, so they are rebuilt with them.
    result["chamomile_facts_seconds"] = facts_refresh(organisation_id=organisation.pk, as_of=as_of).seconds
    # So are discovery's per-client figures (retention flags, known costs) behind the segment table.
    result["discovery_clients"] = client_figures_refresh(organisation_id=organisation.pk, as_of=as_of)
    return result


def refresh_is_due(*, organisation: Organisation, today: date) -> bool:
    last = StatusRefresh.objects.filter(organisation=organisation).order_by("-finished_at").first()
    return last is None or last.as_of < today or last.data_version != data_version(organisation=organisation)


def refresh_if_due() -> list[tuple[Organisation, dict]]:
    """One round: refreshes every organisation whose statuses are older than today or than its data."""
    from romashka.path.services import today_of

    done = []
    for organisation in Organisation.objects.order_by("pk"):
        today = today_of(organisation)
        if refresh_is_due(organisation=organisation, today=today):
            done.append((organisation, status_refresh_logged(organisation=organisation, as_of=today)))
    return done


def refresh_loop(*, interval_seconds: float = 60.0, stop: threading.Event) -> None:
    """Runs refresh rounds until `stop` is set; an error is logged and the next round tries again."""
    while not stop.is_set():
        try:
            close_old_connections()
            for organisation, result in refresh_if_due():
                log.warning("statuses of %s refreshed in %.1f s", organisation, result.get("seconds", 0))
        except Exception:  # a failed round must not stop the server; it is logged and retried
            log.exception("status refresh failed")
        finally:
            close_old_connections()
        stop.wait(interval_seconds)


def start_refresh_thread(*, interval_seconds: float = 60.0) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=refresh_loop, kwargs={"interval_seconds": interval_seconds, "stop": stop},
        name="romashka-status-refresh", daemon=True,
    )
    thread.start()
    return stop
