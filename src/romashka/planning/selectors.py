"""Reads of planning: each client's prediction, the clients at risk, the fits, and the forecast with targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import QuerySet

from romashka.core.access import (
    Capability,
    access_client,
    clients_visible,
    locations_visible,
    organisation_of,
    require,
)
from romashka.core.choices import PartyKind
from romashka.core.models import Organisation, Party
from romashka.path.choices import Status
from romashka.path.models import StatusEvent, StatusSnapshot
from romashka.path.refresh import data_version
from romashka.planning.models import ClvFit, ClvPrediction, RevenueTarget
from romashka.planning.services import AT_RISK_BELOW  # one threshold for the lists and the touches

HISTORY_MONTHS = 25  # month ends the rates and the backtest are read from
FORECAST_MONTHS = 12
RATE_WINDOW = 12  # the forecast's rates: the last 12 months
BACKTEST_HORIZON = 6
CACHE_SECONDS = 24 * 3600


def client_prediction(*, user, party_id: int) -> ClvPrediction | None:
    party = access_client(user, party_id)
    return ClvPrediction.objects.filter(party=party).first()


def at_risk_clients(*, user, below: float = AT_RISK_BELOW) -> QuerySet[ClvPrediction]:
    """Fans (at the last refresh) whose probability of being alive fell under `below`, least likely first."""
    if not 0 < below <= 1:
        from django.core.exceptions import ValidationError

        raise ValidationError({"below": f"{below} is not a probability; expected a number in (0, 1]."})
    from romashka.discovery.selectors import not_ours_parties

    # A client marked not ours (discovery) is no target to win back.
    not_ours = not_ours_parties(organisation_id=require(user, Capability.VIEW_CLIENTS).organisation_id)
    return (
        ClvPrediction.objects.filter(
            party_id__in=clients_visible(user).values("pk"), party__status_snapshot__status=Status.FAN, p_alive__lt=below
        )
        .exclude(party_id__in=not_ours.values("pk"))
        .select_related("party", "party__home_location", "party__status_snapshot")
        .order_by("p_alive", "party_id")
    )


def latest_fits(*, organisation: Organisation) -> dict[str, ClvFit]:
    fits: dict[str, ClvFit] = {}
    for fit in ClvFit.objects.filter(organisation=organisation).order_by("-fitted_at", "-pk")[:10]:
        fits.setdefault(fit.model, fit)
    return fits


def month_ends_before(day: date, count: int) -> list[date]:
    """The last `count` month ends before the month of `day`, oldest first."""
    ends = []
    current = day.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        ends.append(current)
        current = current.replace(day=1) - timedelta(days=1)
    return ends[::-1]


def statuses_complete_until(*, organisation: Organisation, today: date) -> date:
    """The day after the statuses' date (the last refresh's as_of, or today): months before it are complete."""
    as_of = StatusSnapshot.objects.filter(organisation=organisation).values_list("as_of", flat=True).first()
    return min(as_of or today, today) + timedelta(days=1)


def next_months(after: date, count: int) -> list[date]:
    """The first days of the `count` months after the month of `after`."""
    months = []
    year, month = after.year, after.month
    for _ in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        months.append(date(year, month, 1))
    return months


def _states(organisation: Organisation, month_ends: list[date]):
    """The engine's monthly states of every client, and each client's home location; cached until the data changes."""
    key = f"planning-states:{organisation.pk}:{month_ends[-1]}:{data_version(organisation=organisation)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    import pyarrow as pa

    from romashka.engine.planning import monthly_states
    from romashka.path.services import purchase_columns

    events = StatusEvent.objects.filter(organisation=organisation).values_list("party_id", "changed_on", "to_status")
    party_ids, days, statuses = [], [], []
    for party_id, changed_on, to_status in events.iterator(chunk_size=20_000):
        party_ids.append(party_id)
        days.append(changed_on)
        statuses.append(to_status)
    event_table = pa.table({"customer_id": pa.array(party_ids, pa.int64()), "changed_on": pa.array(days, pa.date32()),
                            "to_status": pa.array(statuses, pa.string())})
    purchases = purchase_columns(organisation.pk).rename_columns(["customer_id", "day", "amount"])
    states = monthly_states(event_table, purchases, month_ends)
    homes = dict(
        Party.objects.filter(organisation=organisation, roles__kind=PartyKind.GUEST).values_list("pk", "home_location_id")
    )
    result = (states, homes)
    cache.set(key, result, CACHE_SECONDS)
    return result


@dataclass(frozen=True)
class PlanRow:
    """One line of the targets table: the network (location None) or a location."""

    location_id: int | None
    name: str
    month: date | None
    target: float | None
    forecast_revenue: float
    forecast_fans: float
    fans_needed: float | None
    novices_per_month: float
    extra_novices_per_month: float | None


@dataclass(frozen=True)
class Overview:
    month_ends: list[date]
    months_ahead: list[date]
    history_counts: list[list[float]]  # month end × status
    history_revenue: list[float]  # month × revenue (between month ends)
    forecast_counts: list[list[float]]  # month × status: the median path
    forecast_revenue: list[float]
    revenue_low: list[float]
    revenue_high: list[float]
    active_low: list[float]
    active_high: list[float]
    backtest: dict | None
    plan: list[PlanRow]
    rates: dict[str, float]


def planning_overview(*, user, today: date) -> Overview:
    """Status counts and revenue behind and ahead (median and 10–90% band), the backtest, and the targets' plan."""
    import numpy as np

    from romashka.engine import planning as engine

    require(user, Capability.VIEW_PLANNING)
    organisation = organisation_of(user)
    month_ends = month_ends_before(statuses_complete_until(organisation=organisation, today=today), HISTORY_MONTHS)
    states, homes = _states(organisation, month_ends)
    network = engine.monthly_figures(states)
    chain = engine.fit_chain(network, np.arange(max(network.transitions.shape[0] - RATE_WINDOW, 0),
                                                network.transitions.shape[0]))
    counts, revenue = engine.forecast(chain, network.counts[-1], FORECAST_MONTHS)
    band = engine.bootstrap_forecast(network, FORECAST_MONTHS, window=RATE_WINDOW)
    active = [engine.STATUSES.index(s) for s in ("novice", "fan", "dormant")]
    origin = len(month_ends) - 1 - BACKTEST_HORIZON
    backtest = None
    if origin - RATE_WINDOW >= 0 and network.counts[origin - RATE_WINDOW].sum() > 0:
        result = engine.backtest(network, origin=origin, horizon=BACKTEST_HORIZON, window=RATE_WINDOW)
        backtest = {
            "origin": month_ends[origin], "months": month_ends[origin + 1 :],
            "predicted_active": result["predicted"][:, active].sum(axis=1).tolist(),
            "actual_active": result["actual"][:, active].sum(axis=1).tolist(),
            "predicted_revenue": result["predicted_revenue"].tolist(),
            "actual_revenue": result["actual_revenue"].tolist(),
            "active_error": result["active_error"], "revenue_error": result["revenue_error"],
        }
    months_ahead = next_months(month_ends[-1], FORECAST_MONTHS)
    plan = _plan(organisation, user, states, homes, network, months_ahead)
    lead, novice, fan, dormant, lost = (engine.STATUSES.index(s) for s in ("lead", "novice", "fan", "dormant", "lost"))
    return Overview(
        month_ends=month_ends, months_ahead=months_ahead,
        history_counts=network.counts.tolist(), history_revenue=network.revenue.sum(axis=1).tolist(),
        forecast_counts=counts.tolist(), forecast_revenue=revenue.tolist(),
        revenue_low=band["revenue"][0].tolist(), revenue_high=band["revenue"][2].tolist(),
        active_low=band["counts"][0][:, active].sum(axis=1).tolist(),
        active_high=band["counts"][2][:, active].sum(axis=1).tolist(),
        backtest=backtest, plan=plan,
        rates={"lead_novice": chain.matrix[lead, novice], "novice_fan": chain.matrix[novice, fan], "fan_dormant": chain.matrix[fan, dormant],
               "dormant_lost": chain.matrix[dormant, lost], "lost_won_back": chain.matrix[lost, novice],
               "new_novices": chain.entrants[novice]},
    )


def _plan(organisation, user, states, homes, network, months_ahead) -> list[PlanRow]:
    """The first month ahead with a target, per network and location; without a target, the course alone."""
    import numpy as np

    from romashka.engine import planning as engine

    targets: dict[int | None, list[RevenueTarget]] = {}
    for target in RevenueTarget.objects.filter(organisation=organisation, month__gte=months_ahead[0],
                                               month__lte=months_ahead[-1]).order_by("month"):
        targets.setdefault(target.location_id, []).append(target)
    groups: list[tuple[int | None, str, object]] = [(None, "", network)]
    home_of = np.array([homes.get(int(c)) or 0 for c in states.customers], dtype=np.int64)
    for location in locations_visible(user).order_by("name"):
        groups.append((location.pk, location.name, engine.monthly_figures(states, home_of == location.pk)))
    months = network.transitions.shape[0]
    window = np.arange(max(months - RATE_WINDOW, 0), months)
    rows = []
    for location_id, name, figures in groups:
        chain = engine.fit_chain(figures, window)
        start = figures.counts[-1]
        chosen = (targets.get(location_id) or [None])[0]
        month_index = months_ahead.index(chosen.month) + 1 if chosen else 1
        course = engine.plan_for_target(chain, start, month=month_index, target=float(chosen.amount) if chosen else 0.0)
        rows.append(PlanRow(
            location_id=location_id, name=name, month=chosen.month if chosen else months_ahead[0],
            target=float(chosen.amount) if chosen else None, forecast_revenue=course.forecast_revenue,
            forecast_fans=course.forecast_fans, fans_needed=course.fans_needed if chosen else None,
            novices_per_month=course.novices_per_month,
            extra_novices_per_month=course.extra_novices_per_month if chosen else None,
        ))
    return rows
