"""Pages of the touch system: my tasks today, the team's tasks, the responsible person's view, the
standards with their uplift, the standards editor and the outbox."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from romashka.core import access
from romashka.core.access import Capability
from romashka.core.errors import Conflict
from romashka.engine.uplift import Verdict
from romashka.touches import selectors, services
from romashka.touches.choices import EXECUTOR_OUTCOMES, Outcome, Trigger
from romashka.touches.forms import StandardForm, StepFormSet, TaskDoneForm, standard_spec, step_initial
from romashka.touches.services import task_script

PAGE_SIZE = 50
UPLIFT_MONTHS = 6


def _verdict_label(key: str) -> str:
    labels = {
        Verdict.WORKS.value: _("works"),
        Verdict.HARMS.value: _("does harm"),
        Verdict.NO_EVIDENCE.value: _("no evidence yet"),
        Verdict.TOO_FEW.value: _("too few clients to tell"),
    }
    return labels[key]


def _language() -> str:
    return "en" if translation.get_language() == "en" else "ru"


def _cards(tasks) -> list[dict]:
    language = _language()
    return [{"task": t, "script": task_script(t, language),
             "snapshot": getattr(t.party, "status_snapshot", None)} for t in tasks]


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The employee's touches for today and the overdue ones, one card each, an outcome in one tap."""
    scope = access.require(request.user, Capability.VIEW_CLIENTS)
    today = timezone.localdate()
    page = Paginator(selectors.my_tasks(user=request.user, today=today), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "touches/my_tasks.html", {
        "page": page, "cards": _cards(page.object_list), "today": today,
        "upcoming": selectors.my_upcoming_count(user=request.user, today=today),
        "outcomes": EXECUTOR_OUTCOMES, "done_form": TaskDoneForm(),
        "can_team": scope.can(Capability.VIEW_TEAM_TASKS),
    })


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    form = TaskDoneForm(request.POST)
    error = None
    task = None
    if form.is_valid():
        try:
            task = services.task_complete(user=request.user, task_id=task_id, outcome=form.cleaned_data["outcome"],
                                          leaving_reason=form.cleaned_data["leaving_reason"],
                                          note=form.cleaned_data["note"])
        except ValidationError as exc:
            error = " ".join(" ".join(v) for v in exc.message_dict.values())
        except Conflict as exc:
            error = str(exc)
    else:
        error = " ".join(" ".join(v) for v in form.errors.values())
    if request.headers.get("HX-Request"):
        task = services.task_for_user(request.user, task_id)
        task = selectors._tasks_with_card(type(task).objects.filter(pk=task.pk)).get()
        card = _cards([task])[0]
        return render(request, "touches/_task_card.html", {"card": card, "outcomes": EXECUTOR_OUTCOMES,
                                                            "error": error, "done_form": TaskDoneForm()})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Done: %(outcome)s.") % {"outcome": Outcome(task.outcome).label})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "tasks"  # never an address outside the site
    return redirect(back)


@login_required
def team(request: HttpRequest) -> HttpResponse:
    """Open and overdue tasks by location and executor, and the overdue ones, for managers."""
    access.require(request.user, Capability.VIEW_TEAM_TASKS)
    today = timezone.localdate()
    location = request.GET.get("location", "")
    location_id = int(location) if location.isdigit() else None
    rows = selectors.team_summary(user=request.user, today=today)
    page = Paginator(selectors.team_overdue(user=request.user, today=today, location_id=location_id),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    totals = {key: sum(getattr(r, key) for r in rows) for key in ("due_today", "overdue", "open", "done_week")}
    return render(request, "touches/team.html", {
        "rows": rows, "totals": totals, "page": page, "cards": _cards(page.object_list), "today": today,
        "locations": access.locations_visible(request.user).order_by("name"), "location": location,
    })


@login_required
def responsible(request: HttpRequest) -> HttpResponse:
    """The standards the user answers for: how their tasks go, and which are overdue."""
    access.scope_for(request.user)
    today = timezone.localdate()
    summary = selectors.responsible_summary(user=request.user, today=today)
    for row in summary:
        row["label"] = Trigger(row["step__version__standard__trigger"]).label
    page = Paginator(selectors.responsible_overdue(user=request.user, today=today), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "touches/responsible.html", {"summary": summary, "page": page,
                                                        "cards": _cards(page.object_list), "today": today})


def _period(request: HttpRequest):
    today = timezone.localdate()
    try:
        months = max(1, min(36, int(request.GET.get("months", UPLIFT_MONTHS))))
    except ValueError:
        months = UPLIFT_MONTHS
    return today - timedelta(days=round(months * 30.44)), today, months


@login_required
def standards(request: HttpRequest) -> HttpResponse:
    """Every standard with its steps, its control share and its uplift over the period; reasons for leaving."""
    scope = access.require(request.user, Capability.VIEW_UPLIFT)
    date_from, today, months = _period(request)
    versions = selectors.standards_current(user=request.user)
    rows = []
    for version in versions:
        result = selectors.uplift(user=request.user, standard_id=version.standard_id, date_from=date_from,
                                  date_to=today, as_of=today)
        rows.append({"version": version, "uplift": result, "verdict": _verdict_label(result.verdict)})
    reasons = selectors.leaving_reasons(user=request.user, date_from=date_from, date_to=today)
    chart = {
        "locale": "RU" if _language() == "ru" else "EN",
        "standards": [r["version"].name for r in rows],
        "intervals": [[_pct(r["uplift"].conversion_low), _pct(r["uplift"].conversion_high),
                       _pct(r["uplift"].conversion_difference)] for r in rows],
        "reasons": [label for _k, label, _n in reasons][::-1],
        "reason_counts": [n for _k, _l, n in reasons][::-1],
        "titles": {"uplift": _("Uplift of conversion, percentage points (interval of 95%)"),
                   "clients": _("Clients"), "reasons": _("Reasons for leaving")},
    }
    return render(request, "touches/standards.html", {
        "rows": rows, "reasons": reasons, "chart": chart, "date_from": date_from, "today": today, "months": months,
        "can_edit": scope.can(Capability.MANAGE_TOUCHES),
    })


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


@login_required
def standard_uplift(request: HttpRequest, standard_id: int) -> HttpResponse:
    """One standard's uplift: conversion and revenue per client, touched against control, per month too."""
    access.require(request.user, Capability.VIEW_UPLIFT)
    date_from, today, months = _period(request)
    try:
        window = int(request.GET["window"]) if request.GET.get("window") else None
    except ValueError:
        window = None
    if window is not None:
        window = max(1, min(365, window))
    total = selectors.uplift(user=request.user, standard_id=standard_id, date_from=date_from, date_to=today,
                             as_of=today, window_days=window)
    by_month = []
    start = date_from.replace(day=1)
    while start <= today:
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        result = selectors.uplift(user=request.user, standard_id=standard_id, date_from=max(start, date_from),
                                  date_to=min(end, today), as_of=today, window_days=window)
        if result.treated or result.control or result.pending:
            by_month.append((start, result, _verdict_label(result.verdict)))
        start = end + timedelta(days=1)
    chart = {
        "locale": "RU" if _language() == "ru" else "EN",
        "months": [date_format(m, "m.Y") for m, _r, _v in by_month],
        "treated": [_pct(r.conversion_treated) for _m, r, _v in by_month],
        "control": [_pct(r.conversion_control) for _m, r, _v in by_month],
        "intervals": [[_pct(r.conversion_low), _pct(r.conversion_high), _pct(r.conversion_difference)]
                      for _m, r, _v in by_month],
        "titles": {"treated": _("touched"), "control": _("control group"), "month": _("Month of entry"),
                   "conversion": _("Conversion, %"), "uplift": _("Uplift, percentage points (interval of 95%)")},
    }
    return render(request, "touches/uplift.html", {
        "total": total, "verdict": _verdict_label(total.verdict), "by_month": by_month, "chart": chart,
        "months": months, "date_from": date_from, "today": today,
    })


def _editor(request: HttpRequest, standard_id: int | None) -> HttpResponse:
    scope = access.require(request.user, Capability.MANAGE_TOUCHES)
    organisation_id = scope.organisation_id
    standard, versions = (selectors.standard_history(user=request.user, standard_id=standard_id)
                          if standard_id else (None, []))
    current = versions[0] if versions else None
    kwargs = {"organisation_id": organisation_id}
    if request.method == "POST":
        form = StandardForm(request.POST, editing=standard is not None, **kwargs,
                            initial={"trigger": standard.trigger} if standard else None)
        steps = StepFormSet(request.POST, form_kwargs=kwargs)
        if form.is_valid() and steps.is_valid():
            spec = standard_spec(form, steps)
            try:
                if standard is None:
                    standard = services.standard_create_by(user=request.user, trigger=form.cleaned_data["trigger"],
                                                           spec=spec)
                else:
                    services.standard_change_by(user=request.user, standard_id=standard.pk, spec=spec)
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(None, f"{field}: {' '.join(problems)}")
            else:
                messages.success(request, _("Saved as a new version; tasks made earlier keep their steps."))
                return redirect("touches_edit", standard_id=standard.pk)
    else:
        initial = None
        if current:
            initial = {"trigger": standard.trigger, "name": current.name, "is_active": current.is_active,
                       "control_percent": int(round(current.control_share * 100)),
                       "conversion_days": current.conversion_days, "responsible": current.responsible_id,
                       "segment": current.segment_id}
        form = StandardForm(initial=initial, editing=standard is not None, **kwargs)
        steps = StepFormSet(initial=step_initial(current) if current else None, form_kwargs=kwargs)
    return render(request, "touches/edit.html", {"form": form, "steps": steps, "standard": standard,
                                                 "versions": versions})


@login_required
def standard_new(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@login_required
def standard_edit(request: HttpRequest, standard_id: int) -> HttpResponse:
    return _editor(request, standard_id)


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """Messages sent, written to the outbox or not sent (with the reason), newest first."""
    rows = selectors.outbox(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "touches/outbox.html", {"page": page})
