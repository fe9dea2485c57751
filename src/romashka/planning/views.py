"""Pages of planning: the forecast with its backtest and targets, the CLV fit, and the clients at risk."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from romashka.core import access
from romashka.core.access import Capability
from romashka.core.masking import mask_external_id
from romashka.path.choices import STATUS_COLOURS, Status
from romashka.planning import selectors, services

PAGE_SIZE = 50


class TargetForm(forms.Form):
    month = forms.DateField(label=gettext_lazy("Month"), widget=forms.DateInput(attrs={"type": "month"}),
                            input_formats=["%Y-%m", "%Y-%m-%d"])
    location = forms.TypedChoiceField(label=gettext_lazy("For"), coerce=int, required=False, empty_value=None)
    amount = forms.CharField(label=gettext_lazy("Revenue target, ₽"), max_length=30)


def _month_label(day: date) -> str:
    return date_format(day, "YEAR_MONTH_FORMAT")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Forecast of status counts and revenue, its backtest, the revenue targets' plan, and the CLV fit."""
    access.require(request.user, Capability.VIEW_PLANNING)
    organisation = access.organisation_of(request.user)
    locations = list(access.locations_visible(request.user).order_by("name"))
    form = TargetForm(request.POST or None)
    form.fields["location"].choices = [("", _("the whole network"))] + [(loc.pk, loc.name) for loc in locations]
    if request.method == "POST" and form.is_valid():
        try:
            target = services.revenue_target_set(user=request.user, month=form.cleaned_data["month"],
                                                 amount=form.cleaned_data["amount"],
                                                 location_id=form.cleaned_data["location"])
        except ValidationError as error:
            form.add_error("amount", " ".join(error.message_dict.get("amount", error.messages)))
        else:
            messages.success(request, _("Target for %(month)s saved.") % {"month": _month_label(target.month)})
            return redirect("planning")
    today = timezone.localdate()
    data = selectors.planning_overview(user=request.user, today=today)
    fits = selectors.latest_fits(organisation=organisation)
    statuses = [Status(s) for s in ("prospect", "lead", "novice", "fan", "dormant", "lost")]
    chart = {
        "locale": "RU" if translation.get_language() == "ru" else "EN",
        "history": [_month_label(day) for day in data.month_ends],
        "ahead": [_month_label(day) for day in data.months_ahead],
        "statuses": [{"label": str(s.label), "colour": STATUS_COLOURS[s]} for s in statuses],
        "history_counts": data.history_counts, "forecast_counts": data.forecast_counts,
        "history_revenue": data.history_revenue, "forecast_revenue": data.forecast_revenue,
        "revenue_low": data.revenue_low, "revenue_high": data.revenue_high,
        "titles": {"clients": _("Clients"), "revenue": _("Revenue, ₽"), "forecast": _("forecast"),
                   "band": _("10–90% band"), "actual": _("actual"), "month": _("Month")},
    }
    return render(request, "planning/overview.html", {
        "data": data, "chart": chart, "form": form, "fits": fits, "statuses": statuses,
        "forecast_rows": list(zip([_month_label(m) for m in data.months_ahead], data.forecast_counts,
                                  data.forecast_revenue, data.revenue_low, data.revenue_high,
                                  data.active_low, data.active_high, strict=True)),
        "backtest_rows": list(zip([_month_label(m) for m in data.backtest["months"]], data.backtest["predicted_active"],
                                  data.backtest["actual_active"], data.backtest["predicted_revenue"],
                                  data.backtest["actual_revenue"], strict=True)) if data.backtest else [],
        "at_risk_below": selectors.AT_RISK_BELOW, "horizon_days": services.PREDICTION_DAYS,
        "clv_months": services.CLV_MONTHS, "discount": services.ANNUAL_DISCOUNT_RATE,
    })


def _below(request: HttpRequest) -> float:
    try:
        value = float(request.GET.get("below", selectors.AT_RISK_BELOW))
    except ValueError:
        return selectors.AT_RISK_BELOW
    return value if 0 < value <= 1 else selectors.AT_RISK_BELOW


@login_required
def at_risk(request: HttpRequest) -> HttpResponse:
    """Fans whose probability of being alive fell under the threshold: the clients to keep before they go."""
    scope = access.require(request.user, Capability.VIEW_CLIENTS)
    below = _below(request)
    rows = selectors.at_risk_clients(user=request.user, below=below)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "planning/at_risk.html", {
        "page": page, "below": below, "can_export": scope.can(Capability.EXPORT),
        "querystring": f"below={below}",
    })


@login_required
def at_risk_csv(request: HttpRequest):
    from romashka.web.views import _csv_response

    scope = access.require(request.user, Capability.EXPORT)
    show_contacts = scope.can(Capability.VIEW_CONTACTS)
    rows = selectors.at_risk_clients(user=request.user, below=_below(request)).values_list(
        "party_id", "party__external_id", "party__name", "party__home_location__name", "p_alive",
        "expected_purchases", "expected_spend", "clv", "party__status_snapshot__last_purchase",
    )
    header = ["id", _("client id"), _("name"), _("location"), _("probability alive"),
              _("expected purchases, 90 days"), _("expected spend per purchase, ₽"), _("lifetime value, 12 months, ₽"),
              _("last purchase")]

    def lines():
        for party_id, external_id, name, location, alive, purchases, spend, value, last in rows.iterator(chunk_size=2000):
            shown = (external_id or "") if show_contacts else mask_external_id(external_id or "")
            yield [party_id, shown, name, location or "", f"{alive:.4f}", f"{purchases:.4f}", spend, value,
                   last.isoformat() if last else ""]

    return _csv_response(f"at-risk-{timezone.localdate()}.csv", header, lines())
