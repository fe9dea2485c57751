"""API of the surveys: surveys and waves, answers (anonymous kinds without any person, only groups of five or
more), NPS and eNPS by group and month with 95% intervals, the internal service matrix and the link report."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from romashka.api_common import READ_ERRORS, WRITE_ERRORS, Page
from romashka.core.access import Capability, require
from romashka.feedback import selectors, services
from romashka.feedback.choices import SurveyKind

router = Router(tags=["feedback"])


class SurveyOut(Schema):
    id: int
    kind: str
    name: str
    link_days: int
    answers: int = Field(alias="answer_count")


class WaveOut(Schema):
    id: int
    survey_id: int
    location_id: int | None
    department_id: int | None
    scheduled_on: date
    expires_on: date
    links: int
    answers: int = Field(alias="answer_count")


class WaveIn(Schema):
    survey_id: int
    scheduled_on: date | None = Field(None, description="Today by default.")
    location_id: int | None = None
    department_id: int | None = None


class IssuedLinkOut(Schema):
    party_id: int
    name: str
    url: str = Field(description="The personal link; shown only in this answer, Romashka keeps only a hash.")
    address: str


class WaveCreatedOut(Schema):
    wave: WaveOut
    links: list[IssuedLinkOut]


class ClientAnswerOut(Schema):
    id: int
    month: date
    answered_on: date | None
    location_id: int | None
    party_id: int | None = Field(description="The client; only for roles that see clients.")
    score: int | None
    satisfaction: int | None
    comment: str


class AnonymousAnswerOut(Schema):
    """No id, no party, no day: an anonymous answer says only which group it counts in."""

    month: date
    location_id: int | None
    department_id: int | None
    score: int | None
    satisfaction: int | None
    comment: str


class EstimateOut(Schema):
    month: date | None = Field(description="None for the twelve months together.")
    answers: int | None = Field(description="None when the group is hidden (fewer than 5 answers).")
    hidden: bool
    nps: float | None
    low: float | None = Field(description="95% interval of the promoter/passive/detractor trinomial.")
    high: float | None
    satisfaction: float | None


class GroupOut(Schema):
    group_id: int | None = Field(description="Location or department id; None for the network.")
    name: str
    months: list[EstimateOut]
    total: EstimateOut


class ScoresOut(Schema):
    kind: str
    by: str
    as_of: date
    groups: list[GroupOut]
    network: GroupOut


class ServiceCellOut(Schema):
    rater_department_id: int
    provider_department_id: int
    answers: int
    hidden: bool
    quality: float | None
    speed: float | None
    courtesy: float | None


class LinkPointOut(Schema):
    location_id: int
    month: date
    enps: float | None
    satisfaction: float | None
    nps: float | None
    retention: float | None
    revenue_per_client: float | None


class LinkOut(Schema):
    x: str
    y: str
    n: int
    r: float | None
    low: float | None = Field(description="95% interval of r by Fisher's z.")
    high: float | None
    slope: float | None
    intercept: float | None
    enough: bool = Field(description="False: too few location-months to tell.")
    points: list[LinkPointOut]


def _feedback_scope(request):
    scope = require(request.user, Capability.USE_API)
    if not (scope.can(Capability.VIEW_FEEDBACK) or scope.can(Capability.VIEW_STAFF_FEEDBACK)):
        require(request.user, Capability.VIEW_FEEDBACK)
    return scope


@router.get("/feedback/surveys", response={200: list[SurveyOut], **READ_ERRORS}, summary="Surveys")
def surveys_list(request):
    scope = _feedback_scope(request)
    return list(selectors.surveys_visible(scope).order_by("pk"))


@router.get("/feedback/waves", response={200: list[WaveOut], **READ_ERRORS}, summary="Waves, newest first")
@paginate(Page)
def waves_list(request):
    scope = _feedback_scope(request)
    kinds = [SurveyKind.CLIENT, SurveyKind.PARTNER, SurveyKind.DELIVERY] if scope.can(Capability.VIEW_FEEDBACK) else []
    kinds += [SurveyKind.EMPLOYEE, SurveyKind.INTERNAL] if scope.can(Capability.VIEW_STAFF_FEEDBACK) else []
    return selectors.waves_visible(scope, kinds)


@router.post("/feedback/waves", response={201: WaveCreatedOut, **WRITE_ERRORS},
             summary="Create a wave and issue its personal links (returned once)")
def wave_create(request, payload: WaveIn):
    scope = require(request.user, Capability.MANAGE_SURVEYS)
    wave = services.wave_create(scope=scope, survey_id=payload.survey_id,
                                scheduled_on=payload.scheduled_on or timezone.localdate(),
                                location_id=payload.location_id, department_id=payload.department_id,
                                user=request.user)
    issued = services.wave_links_issue(wave=wave)
    base = request.build_absolute_uri("/")
    wave = selectors.waves_visible(scope, [wave.survey.kind]).get(pk=wave.pk)
    return 201, {"wave": wave, "links": [{"party_id": i.party_id, "name": i.name, "address": i.address,
                                          "url": services.survey_url(i.token, base)} for i in issued]}


@router.get("/feedback/answers/client", response={200: list[ClientAnswerOut], **READ_ERRORS},
            summary="Client and partner answers, newest first")
@paginate(Page)
def client_answers(request, kind: str = Query("client", pattern="^(client|partner)$")):
    scope = _feedback_scope(request)
    require(request.user, Capability.VIEW_FEEDBACK)
    answers = selectors.answers_visible(scope, kind).order_by("-answered_on", "-pk")
    if not scope.can(Capability.VIEW_CLIENTS):
        return [dict(a, party_id=None) for a in answers.values(
            "id", "month", "answered_on", "location_id", "score", "satisfaction", "comment")]
    return answers


@router.get("/feedback/answers/anonymous", response={200: list[AnonymousAnswerOut], **READ_ERRORS},
            summary="eNPS and internal service answers: groups of five or more, in no time order")
@paginate(Page)
def anonymous_answers(request, kind: str = Query("employee", pattern="^(employee|internal)$"),
                      as_of: date | None = None):
    scope = _feedback_scope(request)
    require(request.user, Capability.VIEW_STAFF_FEEDBACK)
    return selectors.anonymous_answers(scope, kind, as_of or timezone.localdate())


def _estimate(cell, month) -> dict:
    e = cell.estimate
    return {"month": month, "answers": None if cell.hidden else e.answers, "hidden": cell.hidden,
            "nps": e.nps, "low": e.low, "high": e.high, "satisfaction": cell.satisfaction}


def _group(row, months) -> dict:
    return {"group_id": None if row.key == selectors.NETWORK else row.key, "name": row.name,
            "months": [_estimate(c, m) for c, m in zip(row.cells, months, strict=True)],
            "total": _estimate(row.total, None)}


@router.get("/feedback/scores", response={200: ScoresOut, **READ_ERRORS},
            summary="NPS (client, partner) or eNPS (employee) by location or department and month")
def scores(request, kind: str = Query("client", pattern="^(client|employee|partner)$"),
           by: str = Query("location", pattern="^(location|department)$"), as_of: date | None = None):
    scope = _feedback_scope(request)
    require(request.user, Capability.VIEW_STAFF_FEEDBACK if kind == SurveyKind.EMPLOYEE else Capability.VIEW_FEEDBACK)
    as_of = as_of or timezone.localdate()
    table = selectors.score_table(scope=scope, kind=kind, as_of=as_of, by=by)
    return {"kind": kind, "by": by, "as_of": as_of, "groups": [_group(r, table.months) for r in table.rows],
            "network": _group(table.network, table.months)}


@router.get("/feedback/internal-service", response={200: list[ServiceCellOut], **READ_ERRORS},
            summary="Who serves whom how well: the twelve months' mean ratings per department pair")
def internal_service(request, as_of: date | None = None):
    scope = _feedback_scope(request)
    require(request.user, Capability.VIEW_STAFF_FEEDBACK)
    as_of = as_of or timezone.localdate()
    matrix = selectors.service_matrix(scope=scope, date_from=selectors.months_back(as_of)[0], date_to=as_of)
    return [{"rater_department_id": rater, "provider_department_id": provider, "answers": cell.answers,
             "hidden": cell.hidden, "quality": cell.quality, "speed": cell.speed, "courtesy": cell.courtesy}
            for (rater, provider), cell in sorted(matrix.cells.items())]


@router.get("/feedback/link", response={200: LinkOut, **READ_ERRORS},
            summary="Staff measure against client measure per location-month: Pearson r, Fisher-z interval, line")
def link(request, x: str = Query("enps", pattern="^(enps|satisfaction)$"),
         y: str = Query("nps", pattern="^(nps|retention|revenue_per_client)$"), as_of: date | None = None):
    scope = _feedback_scope(request)
    require(request.user, Capability.VIEW_FEEDBACK)
    require(request.user, Capability.VIEW_STAFF_FEEDBACK)
    report = selectors.link_report(scope=scope, as_of=as_of or timezone.localdate(), x=x, y=y)
    result = report.result
    return {"x": report.x, "y": report.y, "n": result.n, "r": result.r, "low": result.low, "high": result.high,
            "slope": result.slope, "intercept": result.intercept, "enough": result.enough,
            "points": [p.__dict__ for p in report.points]}
