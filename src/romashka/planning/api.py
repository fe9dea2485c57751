"""API of planning: the fitted models, a client's prediction, the fans at risk, the forecast and targets."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import PlainSerializer

from romashka.api_common import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS, Page
from romashka.core.access import Capability, organisation_of, require
from romashka.planning import selectors, services

router = Router()
Money = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str)]


class FitOut(Schema):
    model: str = Field(description="bgnbd or gammagamma")
    as_of: date = Field(description="The purchases it saw: up to this day.")
    fitted_at: str
    time_unit: str
    params: dict[str, float]
    standard_errors: dict[str, float | None]
    log_likelihood: float
    customers: int
    converged: bool

    @staticmethod
    def resolve_fitted_at(fit) -> str:
        return fit.fitted_at.isoformat()


class PredictionOut(Schema):
    party_id: int
    as_of: date
    p_alive: float = Field(description="BG/NBD probability that the client is still active.")
    expected_purchases: float = Field(description=f"Purchases expected in the next {services.PREDICTION_DAYS} days.")
    expected_spend: Money = Field(description="Gamma-Gamma expected spend per purchase.")
    clv: Money = Field(description=f"Lifetime value over {services.CLV_MONTHS} months, discounted at "
                                   f"{services.ANNUAL_DISCOUNT_RATE:.0%} a year.")


class AtRiskQuery(Schema):
    below: float = Field(selectors.AT_RISK_BELOW, gt=0, le=1, description="Probability alive under this.")


class PlanRowOut(Schema):
    location_id: int | None
    name: str
    month: date | None
    target: float | None
    forecast_revenue: float
    forecast_fans: float
    fans_needed: float | None
    novices_per_month: float
    extra_novices_per_month: float | None


class ForecastOut(Schema):
    month_ends: list[date] = Field(description="Past month ends the rates are measured on.")
    months_ahead: list[date]
    forecast_counts: list[list[float]] = Field(description="Per month ahead, clients per status in the order of `statuses`.")
    statuses: list[str]
    forecast_revenue: list[float]
    revenue_low: list[float] = Field(description="10th percentile of the bootstrap.")
    revenue_high: list[float] = Field(description="90th percentile of the bootstrap.")
    backtest_active_error: float | None = Field(description="Mean absolute percentage error of active clients, 6 months.")
    backtest_revenue_error: float | None
    plan: list[PlanRowOut]


class TargetIn(Schema):
    month: date = Field(description="Any day of the month; stored as its first day.")
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    location_id: int | None = Field(None, description="A location; the whole network when not given.")


class TargetOut(Schema):
    id: int
    month: date
    amount: Money
    location_id: int | None


@router.get("/planning/fits", response={200: list[FitOut], **READ_ERRORS}, tags=["planning"])
def fits(request):
    """The latest fit of each buy-till-you-die model, with standard errors (owner, CRM manager, analyst)."""
    require(request.auth, Capability.VIEW_PLANNING)
    return list(selectors.latest_fits(organisation=organisation_of(request.auth)).values())


@router.get("/parties/{party_id}/prediction", response={200: PredictionOut, **ONE_ERRORS}, tags=["planning"])
def prediction(request, party_id: int):
    """A client's probability alive, expected purchases and spend, and lifetime value; 404 when it has none."""
    from django.http import Http404

    found = selectors.client_prediction(user=request.auth, party_id=party_id)
    if found is None:
        raise Http404("no prediction for this client yet")
    return found


@router.get("/planning/at-risk", response={200: list[PredictionOut], **READ_ERRORS}, tags=["planning"])
@paginate(Page)
def at_risk(request, query: Query[AtRiskQuery]):
    """Your fans whose probability alive fell under `below`, least likely first."""
    return selectors.at_risk_clients(user=request.auth, below=query.below)


@router.get("/planning/forecast", response={200: ForecastOut, **READ_ERRORS}, tags=["planning"])
def forecast(request):
    """Status counts and revenue for the next 12 months with a 10–90% band, the backtest error and the targets' plan."""
    from romashka.engine.planning import STATUSES

    data = selectors.planning_overview(user=request.auth, today=timezone.localdate())
    return {
        "month_ends": data.month_ends, "months_ahead": data.months_ahead, "statuses": list(STATUSES),
        "forecast_counts": data.forecast_counts, "forecast_revenue": data.forecast_revenue,
        "revenue_low": data.revenue_low, "revenue_high": data.revenue_high,
        "backtest_active_error": data.backtest["active_error"] if data.backtest else None,
        "backtest_revenue_error": data.backtest["revenue_error"] if data.backtest else None,
        "plan": data.plan,
    }


@router.post("/planning/targets", response={200: TargetOut, **WRITE_ERRORS}, tags=["planning"])
def target_set(request, body: TargetIn):
    """Sets the revenue target of a month for the network or a location (replacing one already set)."""
    return services.revenue_target_set(user=request.auth, month=body.month, amount=body.amount,
                                       location_id=body.location_id)
