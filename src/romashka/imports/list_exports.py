"""Exports of the lists other apps show — tasks, supplier orders, survey answers — through the shared
streamed export (web/exports.py: CSV with BOM, `;` or `,`, and XLSX), with the page's filters and the
role's scope: a location manager or a franchise partner gets the rows of their own locations only.

Each export needs the role's EXPORT capability and the capability of the page the list is on.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from romashka.core import access
from romashka.core.access import Capability, Scope
from romashka.core.masking import mask_external_id
from romashka.web import exports

ROWS_CHUNK = 2000


def _export_scope(request: HttpRequest, *also: Capability) -> Scope:
    scope = access.require(request.user, Capability.EXPORT)
    for capability in also:
        if not scope.can(capability):
            raise PermissionDenied(f"the role may not see this list ({capability})")
    return scope


def _day(request: HttpRequest, name: str) -> date | None:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


def _number(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@login_required
def tasks_export(request: HttpRequest) -> HttpResponse:
    """The touch tasks: a manager's team list (``?location=``, ``?state=open|done|cancelled|all``,
    ``?overdue=1``, as on the team page) or, with ``?list=mine`` or without the team capability, the
    user's own tasks of today and overdue (as on "My tasks")."""
    from romashka.touches import selectors
    from romashka.touches.choices import TaskState

    scope = _export_scope(request)
    today = timezone.localdate()
    if scope.can(Capability.VIEW_TEAM_TASKS) and request.GET.get("list") != "mine":
        tasks = selectors.team_work(user=request.user)
        state = request.GET.get("state", TaskState.OPEN)
        if state in TaskState.values:
            tasks = tasks.filter(state=state)
        location_id = _number(request, "location")
        if location_id is not None:
            tasks = tasks.filter(location_id=location_id)
        if request.GET.get("overdue") == "1":
            tasks = tasks.filter(state=TaskState.OPEN, due_on__lt=today)
        basename = f"tasks-{today}"
    else:
        tasks = selectors.my_tasks(user=request.user, today=today)
        basename = f"my-tasks-{today}"
    tasks = tasks.select_related("location", "executor__party", "party", "step__version__standard").order_by(
        "due_on", "pk")
    show_ids = scope.can(Capability.VIEW_CONTACTS)

    def rows():
        for task in tasks.iterator(chunk_size=ROWS_CHUNK):
            external_id = task.party.external_id or ""
            yield [task.pk, task.due_on, task.get_state_display(), task.location.name if task.location else "",
                   task.executor.party.name if task.executor else "", task.party.name,
                   external_id if show_ids else mask_external_id(external_id),
                   task.step.version.name, task.step.version.standard.get_trigger_display(),
                   task.get_channel_display(), task.get_outcome_display() if task.outcome else "", task.done_at,
                   task.note]

    header = ["id", _("due"), _("state"), _("location"), _("executor"), _("client"), _("external id"),
              _("touch standard"), _("status entry"), _("channel"), _("outcome"), _("done"), _("note")]
    return exports.export_response(request, basename=basename, header=header, rows=rows(),
                                   sheet_title=_("Tasks"))


@login_required
def supplier_orders_export(request: HttpRequest) -> HttpResponse:
    """Orders to suppliers, as the supplier reports count them: ``?supplier=``, ``?from=`` and ``?to=``
    (YYYY-MM-DD); a franchise partner gets the orders of its own locations."""
    from romashka.chamomile.figures import Petal, petals_visible
    from romashka.chamomile.models import SupplierOrder

    scope = _export_scope(request)
    if Petal.SUPPLIERS not in petals_visible(scope):
        raise PermissionDenied("the role does not see suppliers")
    orders = access.in_scope(SupplierOrder.objects.filter(organisation_id=scope.organisation_id), scope,
                             "location_id")
    supplier_id = _number(request, "supplier")
    if supplier_id is not None:
        orders = orders.filter(supplier_id=supplier_id)
    first, last = _day(request, "from"), _day(request, "to")
    if first:
        orders = orders.filter(ordered_on__gte=first)
    if last:
        orders = orders.filter(ordered_on__lte=last)
    orders = orders.select_related("supplier", "location").order_by("ordered_on", "pk")

    def rows():
        for order in orders.iterator(chunk_size=ROWS_CHUNK):
            yield [order.ordered_on, order.supplier.name, order.supplier.external_id or "",
                   order.location.name if order.location else "", order.amount, order.reference]

    header = [_("date"), _("supplier"), _("Supplier's tax id (INN)"), _("location"), _("amount"), _("reference")]
    basename = f"supplier-orders-{supplier_id}-{timezone.localdate()}" if supplier_id else (
        f"supplier-orders-{timezone.localdate()}")
    return exports.export_response(request, basename=basename, header=header, rows=rows(),
                                   sheet_title=_("supplier orders"))


@login_required
def survey_answers_export(request: HttpRequest) -> HttpResponse:
    """Survey answers of one kind (``?kind=client|partner|employee|internal``, ``?survey=``, ``?as_of=``).

    Client and partner answers name the respondent (ids masked without the contacts capability);
    employee and internal-service answers stay anonymous: only groups of five or more, no person and
    no day, in the order of the anonymous lists (by group, then score), never by arrival.
    """
    from romashka.feedback import selectors
    from romashka.feedback.choices import ANONYMOUS_KINDS, SurveyKind

    kind = request.GET.get("kind", SurveyKind.CLIENT)
    if kind not in SurveyKind.values:
        kind = SurveyKind.CLIENT
    anonymous = kind in ANONYMOUS_KINDS
    if anonymous:
        scope = _export_scope(request, Capability.VIEW_STAFF_FEEDBACK)
    else:
        # Named answers name clients or partners: the role must also see those (HR sees staff feedback,
        # never clients' names).
        who = Capability.VIEW_PARTNERS if kind == SurveyKind.PARTNER else Capability.VIEW_CLIENTS
        scope = _export_scope(request, Capability.VIEW_FEEDBACK, who)
    survey_id = _number(request, "survey")
    basename = f"survey-answers-{kind}-{timezone.localdate()}"
    if anonymous:
        as_of = _day(request, "as_of") or timezone.localdate()  # the twelve months the anonymous lists show
        answers = [a for a in selectors.anonymous_answers(scope, kind, as_of)
                   if survey_id is None or a.survey_id == survey_id]
        header = [_("month"), _("location"), _("department"), _("score 0–10"), _("satisfaction 1–5"), _("why")]
        rows = ([a.month, a.location.name if a.location else "", a.department.name if a.department else "",
                 a.score, a.satisfaction, a.comment] for a in answers)
        return exports.export_response(request, basename=basename, header=header, rows=rows,
                                       sheet_title=_("survey answers"))
    queryset = selectors.answers_visible(scope, kind).select_related("party", "location", "survey").order_by(
        "-answered_on", "-pk")
    if survey_id is not None:
        queryset = queryset.filter(survey_id=survey_id)
    show_ids = scope.can(Capability.VIEW_CONTACTS)

    def named_rows():
        for answer in queryset.iterator(chunk_size=ROWS_CHUNK):
            external_id = (answer.party.external_id or "") if answer.party else ""
            yield [answer.answered_on, answer.month, answer.location.name if answer.location else "",
                   answer.party.name if answer.party else "",
                   external_id if show_ids else mask_external_id(external_id), answer.score, answer.satisfaction,
                   answer.comment, answer.survey.name]

    header = [_("answered"), _("month"), _("location"), _("respondent"), _("external id"), _("score 0–10"),
              _("satisfaction 1–5"), _("why"), _("survey")]
    return exports.export_response(request, basename=basename, header=header, rows=named_rows(),
                                   sheet_title=_("survey answers"))
