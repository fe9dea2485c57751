"""The purchase-cycle page: the gap histogram, the suggested cycle, and the form to set the cycle."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from romashka.core import access
from romashka.core.access import Capability
from romashka.path.cycle_selectors import purchase_cycle_overview
from romashka.path.cycle_services import cycle_override_delete, cycle_override_save, organisation_cycle_set


def _chart(suggestion) -> dict:
    def label(first: int, last: int | None) -> str:
        if last is None:
            return f"> {first - 1}"
        return str(first) if first == last else f"{first}–{last}"

    suggested = suggestion.overall.suggested_cycle_days
    marked = next(
        (
            label(first, last)
            for first, last, _gaps in suggestion.histogram
            if suggested and first <= suggested and (last is None or suggested <= last)
        ),
        None,
    )
    return {
        "marked": marked,
        "locale": "RU" if translation.get_language() == "ru" else "EN",
        "labels": [label(first, last) for first, last, _gaps in suggestion.histogram],
        "gaps": [gaps for _first, _last, gaps in suggestion.histogram],
        "suggested": suggestion.overall.suggested_cycle_days,
        "titles": {
            "x": _("Gap between purchase days, days"),
            "y": _("Gaps"),
            "series": _("gaps"),
            "days": _("days"),
        },
    }


@login_required
@require_http_methods(["GET", "POST"])
def cycle(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Capability.SET_PURCHASE_CYCLE)
    error = None
    override_errors: dict[str, str] = {}
    value = ""
    posted = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        action = request.POST.get("action", "cycle")
        try:
            if action == "override":
                result = cycle_override_save(
                    user=request.user, subject=request.POST.get("subject", ""),
                    subject_value=request.POST.get("subject_value", ""),
                    cycle_days=request.POST.get("override_cycle_days", ""),
                    lost_after_days=request.POST.get("lost_after_days", ""),
                    fan_min_purchases=request.POST.get("fan_min_purchases", ""),
                    overdue_factor=request.POST.get("overdue_factor", ""),
                )
                done = _("The override is saved; statuses of %(clients)d clients were refreshed.")
            elif action == "override_delete":
                override = request.POST.get("override", "")
                result = cycle_override_delete(user=request.user, override_id=int(override) if override.isdigit() else 0)
                done = _("The override is removed; statuses of %(clients)d clients were refreshed.")
            else:
                value = request.POST.get("cycle_days", "")
                result = organisation_cycle_set(
                    organisation=access.organisation_of(request.user), cycle_days=value, user=request.user
                )
                done = _("The purchase cycle is now %(days)d days; statuses of %(clients)d clients were refreshed.")
        except ValidationError as exc:
            if action == "override":
                override_errors = {field: " ".join(errors) for field, errors in exc.message_dict.items()}
            else:
                error = " ".join(exc.message_dict.get("cycle_days", exc.messages))
        else:
            messages.success(request, done % {"days": result["cycle_days"], "clients": result["snapshots"]})
            return redirect("path_cycle")
    context = purchase_cycle_overview(user=request.user)
    context.update(chart=_chart(context["suggestion"]), error=error, value=value,
                   override_errors=override_errors, posted=posted)
    return render(request, "path/cycle.html", context, status=400 if error or override_errors else 200)
