"""Pages of the feedback section (client NPS and journey stages, eNPS and the internal service, the link,
surveys and waves, exports) and the public survey form behind a personal link."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from romashka.core import access
from romashka.core.access import Capability, Scope
from romashka.core.models import Department, Location
from romashka.feedback import selectors, services
from romashka.feedback.choices import MIN_GROUP_ANSWERS, DeliveryAspect, ServiceAspect, SurveyKind
from romashka.feedback.forms import answer_parse
from romashka.feedback.models import Survey
from romashka.feedback.selectors import ScoreTable
from romashka.web.exports import export_response

# A flood of submissions from one address: at most this many posts per window, then a friendly 429.
RATE_LIMIT_POSTS = 20
RATE_LIMIT_SECONDS = 600

def _measure_label(measure: str) -> str:
    labels = {"enps": _("eNPS"), "satisfaction": _("staff satisfaction, 1–5"), "nps": _("client NPS"),
              "retention": _("fans still fans a cycle later, %"), "revenue_per_client": _("revenue per client, ₽")}
    return labels[measure]


def _today() -> date:
    return timezone.localdate()


def _as_of(request: HttpRequest) -> date:
    """`?as_of=YYYY-MM-DD` (the demo's end, say); today when absent or not a date."""
    try:
        return datetime.strptime(request.GET.get("as_of", ""), "%Y-%m-%d").date()
    except ValueError:
        return _today()


def _tabs(scope: Scope, current: str) -> list[dict]:
    tabs = []
    if scope.can(Capability.VIEW_FEEDBACK):
        tabs.append(("feedback", _("Client NPS and journey")))
    if scope.can(Capability.VIEW_STAFF_FEEDBACK):
        tabs.append(("feedback_staff", _("eNPS and internal service")))
    if scope.can(Capability.VIEW_FEEDBACK) and scope.can(Capability.VIEW_STAFF_FEEDBACK):
        tabs.append(("feedback_link", _("Staff and clients: the link")))
    tabs.append(("feedback_surveys", _("Surveys and waves")))
    return [{"name": name, "label": label, "active": name == current} for name, label in tabs]


def _section(request: HttpRequest) -> Scope:
    scope = access.scope_for(request.user)
    if not (scope.can(Capability.VIEW_FEEDBACK) or scope.can(Capability.VIEW_STAFF_FEEDBACK)):
        raise PermissionDenied("the role does not see feedback")
    return scope


def _estimate_json(cell) -> dict:
    e = cell.estimate
    return {"nps": None if e.nps is None else round(e.nps, 1), "low": None if e.low is None else round(e.low, 1),
            "high": None if e.high is None else round(e.high, 1), "n": e.answers, "hidden": cell.hidden}


def _table_chart(table: ScoreTable) -> dict:
    return {"months": [m.strftime("%m.%Y") for m in table.months],
            "network": [_estimate_json(c) for c in table.network.cells],
            "locale": "RU" if translation.get_language() == "ru" else "EN",
            "titles": {"nps": "NPS" if table.kind != SurveyKind.EMPLOYEE else "eNPS", "interval": _("interval (95%)"),
                       "month": _("month"), "points": _("points")}}


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_FEEDBACK)
    as_of = _as_of(request)
    table = selectors.score_table(scope=scope, kind=SurveyKind.CLIENT, as_of=as_of)
    drags, worst = selectors.stage_drags(scope=scope, date_from=table.months[0], date_to=as_of)
    language = translation.get_language()
    detractors = []
    if scope.can(Capability.VIEW_CLIENTS):
        detractors = list(selectors.client_answers(scope).filter(score__lte=6)[:20])
    return render(request, "feedback/overview.html", {
        "tabs": _tabs(scope, "feedback"), "table": table, "as_of": as_of,
        "stages": [(stage.name(language), drag) for stage, drag in drags],
        "worst": next((stage.name(language) for stage, drag in drags if drag is worst), None) if worst else None,
        "detractors": detractors, "chart": _table_chart(table), "can_export": scope.can(Capability.EXPORT),
        "deliveries": selectors.delivery_ratings(scope=scope, date_from=table.months[0], date_to=as_of),
    })


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_STAFF_FEEDBACK)
    as_of = _as_of(request)
    by_location = selectors.score_table(scope=scope, kind=SurveyKind.EMPLOYEE, as_of=as_of, by="location")
    by_department = selectors.score_table(scope=scope, kind=SurveyKind.EMPLOYEE, as_of=as_of, by="department")
    matrix = selectors.service_matrix(scope=scope, date_from=by_location.months[0], date_to=as_of)
    heatmap = {
        "raters": [d.name for d in matrix.raters], "providers": [d.name for d in matrix.providers],
        "cells": [[j, i, round(cell.mean, 2) if cell.mean is not None else None, cell.answers]
                  for i, rater in enumerate(matrix.raters) for j, provider in enumerate(matrix.providers)
                  if (cell := matrix.cells.get((rater.pk, provider.pk))) is not None],
        "titles": {"raters": _("rated by (internal client)"), "providers": _("serving department"),
                   "score": _("mean of quality, speed and courtesy, 1–5"), "hidden": _("fewer than 5 answers")},
        "locale": "RU" if translation.get_language() == "ru" else "EN",
    }
    return render(request, "feedback/staff.html", {
        "tabs": _tabs(scope, "feedback_staff"), "by_location": by_location, "by_department": by_department,
        "matrix": matrix, "heatmap": heatmap, "as_of": as_of, "chart": _table_chart(by_location),
        "turnover": selectors.turnover_by_location(scope=scope, as_of=as_of) if scope.can(Capability.VIEW_STAFF)
        else [], "min_group": MIN_GROUP_ANSWERS, "can_export": scope.can(Capability.EXPORT),
    })


@login_required
def link(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_FEEDBACK)
    access.require(request.user, Capability.VIEW_STAFF_FEEDBACK)
    as_of = _as_of(request)
    report = selectors.link_report(scope=scope, as_of=as_of, x=request.GET.get("x", "enps"),
                                   y=request.GET.get("y", "nps"))
    result = report.result
    xs = [p.value(report.x) for p in report.pairs]
    line = []
    if result.slope is not None and xs:
        line = [[min(xs), result.intercept + result.slope * min(xs)], [max(xs), result.intercept + result.slope * max(xs)]]
    chart = {
        "points": [[round(p.value(report.x), 2), round(p.value(report.y), 2), p.location, p.month.strftime("%m.%Y")]
                   for p in report.pairs],
        "line": line, "titles": {"x": _measure_label(report.x), "y": _measure_label(report.y),
                                 "line": _("fitted line"), "points": _("location-months")},
        "locale": "RU" if translation.get_language() == "ru" else "EN",
    }
    return render(request, "feedback/link.html", {
        "tabs": _tabs(scope, "feedback_link"), "report": report, "result": result, "as_of": as_of,
        "chart": chart, "x_label": _measure_label(report.x), "y_label": _measure_label(report.y),
        "x_choices": [(m, _measure_label(m)) for m in selectors.STAFF_MEASURES],
        "y_choices": [(m, _measure_label(m)) for m in selectors.CLIENT_MEASURES],
        "can_export": scope.can(Capability.EXPORT),
    })


@login_required
def surveys(request: HttpRequest) -> HttpResponse:
    scope = _section(request)
    kinds = [k for k, capability in ((SurveyKind.CLIENT, Capability.VIEW_FEEDBACK),
                                     (SurveyKind.PARTNER, Capability.VIEW_FEEDBACK),
                                     (SurveyKind.DELIVERY, Capability.VIEW_FEEDBACK),
                                     (SurveyKind.EMPLOYEE, Capability.VIEW_STAFF_FEEDBACK),
                                     (SurveyKind.INTERNAL, Capability.VIEW_STAFF_FEEDBACK)) if scope.can(capability)]
    allowed = services.survey_kinds_allowed(scope)
    if request.method == "POST":
        return _wave_post(request, scope)
    return render(request, "feedback/surveys.html", {
        "tabs": _tabs(scope, "feedback_surveys"),
        "surveys": selectors.surveys_visible(scope).filter(kind__in=kinds),
        "sendable": Survey.objects.filter(organisation_id=scope.organisation_id, kind__in=allowed),
        "waves": selectors.waves_visible(scope, kinds)[:60],
        "locations": access.locations_visible(request.user),
        "departments": Department.objects.filter(organisation_id=scope.organisation_id),
        "today": _today(), "sees_all": scope.sees_all_locations,
    })


def _optional_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _wave_post(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Creates a wave; "send" sends it now (or on its day), "download" answers with the list of links."""
    try:
        scheduled_on = datetime.strptime(request.POST.get("scheduled_on", ""), "%Y-%m-%d").date()
    except ValueError:
        scheduled_on = _today()
    try:
        wave = services.wave_create(
            scope=scope, survey_id=_optional_id(request.POST.get("survey")) or 0, scheduled_on=scheduled_on,
            location_id=_optional_id(request.POST.get("location")),
            department_id=_optional_id(request.POST.get("department")), user=request.user)
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            messages.error(request, f"{field}: {'; '.join(problems)}")
        return redirect("feedback_surveys")
    if request.POST.get("delivery") == "download":
        issued = services.wave_links_issue(wave=wave, language=translation.get_language() or "ru")
        base = request.build_absolute_uri("/")
        header = [_("Recipient"), _("Location"), _("Department"), _("Address"), _("Link"), _("Valid until")]
        rows = ([i.name, i.location, i.department, i.address, services.survey_url(i.token, base), wave.expires_on]
                for i in issued)
        return export_response(request, basename=f"survey-links-{wave.pk}", header=header, rows=rows)
    if wave.scheduled_on <= _today():
        result = services.wave_send(wave=wave, base_url=request.build_absolute_uri("/"))
        messages.success(request, _("%(links)s links made, %(sent)s sent; %(missing)s recipients have no consented "
                                    "e-mail or phone.") % {"links": result["links"], "sent": result["sent"],
                                                           "missing": result["without_address"]})
    else:
        messages.success(request, _("The wave is scheduled: its links go out on %(day)s.") % {
            "day": wave.scheduled_on.strftime("%d.%m.%Y")})
    return redirect("feedback_surveys")


# ---------------------------------------------------------------- exports


def _fmt(value) -> object:
    return "" if value is None else round(value, 2) if isinstance(value, float) else value


def _table_rows(table: ScoreTable, hidden_text: str):
    for row in [*table.rows, table.network]:
        for month, cell in zip(table.months, row.cells, strict=True):
            if cell.answers == 0 and not cell.hidden:
                continue
            e = cell.estimate
            yield [row.name or _("Network"), month, hidden_text if cell.hidden else e.answers, _fmt(e.nps),
                   _fmt(e.low), _fmt(e.high), _fmt(cell.satisfaction)]


@login_required
def export(request: HttpRequest, what: str) -> HttpResponse:
    scope = access.require(request.user, Capability.EXPORT)
    as_of = _as_of(request)
    hidden = _("fewer than 5 answers")
    score_header = [_("Group"), _("Month"), _("Answers"), "NPS", _("low (95%)"), _("high (95%)"), _("Satisfaction")]
    if what in ("nps", "enps", "enps-departments"):
        needed = Capability.VIEW_FEEDBACK if what == "nps" else Capability.VIEW_STAFF_FEEDBACK
        access.require(request.user, needed)
        table = selectors.score_table(scope=scope, kind=SurveyKind.CLIENT if what == "nps" else SurveyKind.EMPLOYEE,
                                      as_of=as_of, by="department" if what == "enps-departments" else "location")
        return export_response(request, basename=f"{what}-{as_of}", header=score_header,
                               rows=_table_rows(table, hidden))
    if what == "internal-service":
        access.require(request.user, Capability.VIEW_STAFF_FEEDBACK)
        months = selectors.months_back(as_of)
        matrix = selectors.service_matrix(scope=scope, date_from=months[0], date_to=as_of)
        rows = ([rater.name, provider.name, hidden if cell.hidden else cell.answers, _fmt(cell.quality),
                 _fmt(cell.speed), _fmt(cell.courtesy)]
                for rater in matrix.raters for provider in matrix.providers
                if (cell := matrix.cells.get((rater.pk, provider.pk))) is not None)
        return export_response(request, basename=f"internal-service-{as_of}", rows=rows, header=[
            _("Internal client"), _("Serving department"), _("Answers"), _("Quality"), _("Speed"), _("Courtesy")])
    if what == "link":
        access.require(request.user, Capability.VIEW_FEEDBACK)
        access.require(request.user, Capability.VIEW_STAFF_FEEDBACK)
        points, _cycle = selectors.link_points(scope=scope, as_of=as_of)
        rows = ([p.location, p.month, _fmt(p.enps), _fmt(p.satisfaction), _fmt(p.nps), _fmt(p.retention),
                 _fmt(p.revenue_per_client)] for p in points)
        return export_response(request, basename=f"link-{as_of}", rows=rows, header=[
            _("Location"), _("Month"), "eNPS", _("Staff satisfaction"), _("Client NPS"), _("Fans kept, %"),
            _("Revenue per client")])
    if what == "client-answers":
        access.require(request.user, Capability.VIEW_FEEDBACK)
        access.require(request.user, Capability.VIEW_CLIENTS)
        rows = ([a.answered_on, a.location.name if a.location else "", a.party.name if a.party else "", a.score,
                 a.comment] for a in selectors.client_answers(scope).iterator(chunk_size=2000))
        return export_response(request, basename=f"client-answers-{as_of}", rows=rows, header=[
            _("Answered"), _("Location"), _("Client"), _("Score 0–10"), _("Why")])
    if what in ("employee-answers", "internal-answers"):
        access.require(request.user, Capability.VIEW_STAFF_FEEDBACK)
        kind = SurveyKind.EMPLOYEE if what == "employee-answers" else SurveyKind.INTERNAL
        rows = ([a.month.strftime("%Y-%m"), a.location.name if a.location else "",
                 a.department.name if a.department else "", a.score, a.satisfaction, a.comment]
                for a in selectors.anonymous_answers(scope, kind, as_of))
        return export_response(request, basename=f"{what}-{as_of}", rows=rows, header=[
            _("Month"), _("Location"), _("Department"), _("Score 0–10"), _("Satisfaction"), _("Comment")])
    raise Http404("unknown export")


# ---------------------------------------------------------------- the public form


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_limited(request: HttpRequest) -> bool:
    """True once an address has posted RATE_LIMIT_POSTS times within the window (counted in Django's cache)."""
    key = f"feedback:posts:{_client_ip(request)}"
    cache.add(key, 0, RATE_LIMIT_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_LIMIT_SECONDS)
        count = 1
    return count > RATE_LIMIT_POSTS


def _problem_page(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "feedback/public_problem.html", {"reason": reason}, status=status)


@never_cache
@csrf_exempt  # no session, no login: the unguessable token in the URL is the credential
def answer(request: HttpRequest, token: str) -> HttpResponse:
    language = request.GET.get("lang")
    if request.method == "POST" and _rate_limited(request):
        with translation.override(language if language in ("ru", "en") else translation.get_language()):
            return _problem_page(request, "throttled", 429)
    today = _today()
    try:
        survey_link = services.link_open(token, today)
    except services.LinkProblem as problem:
        with translation.override(language if language in ("ru", "en") else translation.get_language()):
            return _problem_page(request, problem.reason, 404 if problem.reason == services.FORGED else 410)
    language = language if language in ("ru", "en") else survey_link.language
    with translation.override(language):
        survey = survey_link.wave.survey
        questions = services.questions_of(survey_link)
        errors: dict[str, str] = {}
        if request.method == "POST":
            parsed, errors = answer_parse(survey.kind, request.POST, questions)
            if not errors:
                try:
                    services.answer_submit(token=token, parsed=parsed, today=today)
                except services.LinkProblem as problem:
                    return _problem_page(request, problem.reason, 410)
                return render(request, "feedback/public_thanks.html", {"language": language})
        return render(request, "feedback/public_form.html", {
            "survey": survey, "kind": survey.kind, "intro": survey.intro(language), "language": language,
            "stages": [(stage, stage.name(language)) for stage in questions.get("stages", [])],
            "errors": errors, "posted": request.POST, "scores": range(0, 11), "ratings": range(1, 6),
            "anonymous": survey.kind in (SurveyKind.EMPLOYEE, SurveyKind.INTERNAL),
            "location": Location.objects.filter(pk=survey_link.location_id).first(), **_rated_subjects(
                survey.kind, questions, errors),
        }, status=422 if errors else 200)


def _rated_subjects(kind: str, questions: dict, errors: dict) -> dict:
    """What the form rates on three aspects: the serving departments or the suppliers (None: neither)."""
    if kind == SurveyKind.INTERNAL:
        return {"subjects": questions.get("providers", []), "prefix": "service", "prefix_": "service_",
                "aspects": ServiceAspect.choices, "subjects_error": errors.get("services")}
    if kind == SurveyKind.DELIVERY:
        return {"subjects": questions.get("suppliers", []), "prefix": "delivery", "prefix_": "delivery_",
                "aspects": DeliveryAspect.choices, "subjects_error": errors.get("deliveries")}
    return {"subjects": None}
