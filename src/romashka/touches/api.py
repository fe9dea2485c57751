"""API of the touch system: standards (create, read, change as a new version, switch off), tasks
(list with filters, record the outcome) and the uplift of a standard against its control group."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date, timedelta
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from romashka.api_common import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS, Page
from romashka.core.access import Capability, require, scope_for
from romashka.touches import selectors, services
from romashka.touches.choices import TaskState
from romashka.touches.models import StandardVersion, Task

router = Router()


class StepIn(Schema):
    channel: str = Field(description="call, sms, email, messenger or in_person")
    title: str
    template_ru: str = Field(description="Placeholders: {name}, {last_purchase}, {location}, {offer}.")
    template_en: str = ""
    delay_days: int = Field(0, description="Days after the entry, or after the client's purchase cycle runs out.")
    delay_basis: str = Field("entry", description="entry or cycle")
    offer: str = ""
    aims_at_purchase: bool = Field(True, description="Cancelled when the client buys before the touch.")
    asks_leaving_reason: bool = False
    executor_rule: str = Field("location_manager", description="location_manager, position or named")
    executor_position: str = ""
    executor_employee_id: int | None = None


class StandardIn(Schema):
    trigger: str = Field(description="lead, novice, fan, dormant, lost or won_back (ignored when changing)")
    name: str
    steps: list[StepIn]
    control_share: Decimal = Field(Decimal("0.10"), description="0 to 0.9; 0.10 is 10%.")
    conversion_days: int = 30
    responsible_id: int | None = Field(None, description="The user answering for the standard.")
    is_active: bool = True

    def spec(self) -> services.StandardSpec:
        return services.StandardSpec(
            name=self.name, control_share=self.control_share, conversion_days=self.conversion_days,
            responsible_id=self.responsible_id, is_active=self.is_active,
            steps=[services.StepSpec(**step.dict()) for step in self.steps],
        )


class StepOut(Schema):
    id: int
    position: int
    channel: str
    title: str
    template_ru: str
    template_en: str
    delay_days: int
    delay_basis: str
    offer: str
    aims_at_purchase: bool
    asks_leaving_reason: bool
    executor_rule: str
    executor_position: str
    executor_employee_id: int | None


class StandardOut(Schema):
    id: int = Field(alias="standard_id")
    trigger: str = Field(alias="standard.trigger")
    version: int = Field(alias="number")
    name: str
    is_active: bool
    control_share: Decimal
    conversion_days: int
    responsible_id: int | None
    valid_from: date
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(version) -> list:
        return list(version.steps.all())


class TaskOut(Schema):
    id: int
    party_id: int
    party_name: str = Field(alias="party.name")
    standard_id: int = Field(alias="entry.standard_id")
    step_id: int
    step_title: str = Field(alias="step.title")
    channel: str
    location_id: int | None
    executor_id: int | None
    responsible_id: int | None
    entered_on: date = Field(alias="entry.entered_on")
    due_on: date
    state: str
    outcome: str
    leaving_reason: str
    note: str
    cancel_reason: str
    cancelled_on: date | None


class TaskFilters(Schema):
    state: str | None = Field(None, description="open, done or cancelled")
    executor_id: int | None = None
    location_id: int | None = None
    standard_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool | None = Field(None, description="Open and due before today.")


class OutcomeIn(Schema):
    outcome: str = Field(description="reached, no_answer, refused or will_come")
    leaving_reason: str = Field("", description="price, quality, service, moved, competitor, no_need or other")
    note: str = ""


class UpliftOut(Schema):
    standard_id: int
    name: str
    date_from: date
    date_to: date
    window_days: int
    treated: int
    control: int
    pending: int = Field(description="Entries whose window has not closed yet; not counted.")
    conversion_treated: float | None
    conversion_control: float | None
    conversion_difference: float | None
    conversion_low: float | None = Field(description="95% interval of the difference (Agresti–Caffo).")
    conversion_high: float | None
    revenue_treated: float | None = Field(description="Revenue per client within the window.")
    revenue_control: float | None
    revenue_difference: float | None
    revenue_low: float | None
    revenue_high: float | None
    verdict: str = Field(description="works, harms, no_evidence or too_few")


def _version(user, standard_id: int) -> StandardVersion:
    scope = require(user, Capability.MANAGE_TOUCHES)
    version = (StandardVersion.objects.filter(standard_id=standard_id, standard__organisation_id=scope.organisation_id)
               .select_related("standard").prefetch_related("steps").order_by("-number").first())
    if version is None:
        raise Http404("standard not found")
    return version


@router.get("/touch-standards", response={200: list[StandardOut], **READ_ERRORS}, tags=["touches"])
def standard_list(request):
    """Every touch standard in its newest version, with its steps."""
    require(request.auth, Capability.MANAGE_TOUCHES)
    return selectors.standards_current(user=request.auth)


@router.post("/touch-standards", response={201: StandardOut, **WRITE_ERRORS}, tags=["touches"])
def standard_create(request, body: StandardIn):
    standard = services.standard_create_by(user=request.auth, trigger=body.trigger, spec=body.spec())
    return Status(201, _version(request.auth, standard.pk))


@router.get("/touch-standards/{standard_id}", response={200: StandardOut, **ONE_ERRORS}, tags=["touches"])
def standard_get(request, standard_id: int):
    return _version(request.auth, standard_id)


@router.put("/touch-standards/{standard_id}", response={200: StandardOut, **WRITE_ERRORS}, tags=["touches"])
def standard_change(request, standard_id: int, body: StandardIn):
    """A new version for entries from today; tasks made earlier keep their steps. The trigger stays."""
    services.standard_change_by(user=request.auth, standard_id=standard_id, spec=body.spec())
    return _version(request.auth, standard_id)


@router.delete("/touch-standards/{standard_id}", response={204: None, **WRITE_ERRORS}, tags=["touches"])
def standard_switch_off(request, standard_id: int):
    """Switches the standard off (a new, inactive version) and cancels its open tasks; history stays."""
    current = _version(request.auth, standard_id)
    spec = services.StandardSpec(
        name=current.name, control_share=current.control_share, conversion_days=current.conversion_days,
        responsible_id=current.responsible_id, is_active=False,
        steps=[services.StepSpec(
            channel=s.channel, title=s.title, template_ru=s.template_ru, template_en=s.template_en,
            delay_days=s.delay_days, delay_basis=s.delay_basis, offer=s.offer, aims_at_purchase=s.aims_at_purchase,
            asks_leaving_reason=s.asks_leaving_reason, executor_rule=s.executor_rule,
            executor_position=s.executor_position, executor_employee_id=s.executor_employee_id,
        ) for s in current.steps.all()],
    )
    services.standard_change_by(user=request.auth, standard_id=standard_id, spec=spec)
    return Status(204, None)


@router.get("/tasks", response={200: list[TaskOut], **READ_ERRORS}, tags=["touches"])
@paginate(Page)
def task_list(request, filters: Query[TaskFilters]):
    """Your own tasks; for managers the tasks of everyone at their locations. Due first."""
    scope = scope_for(request.auth)
    if scope.can(Capability.VIEW_TEAM_TASKS):
        tasks = selectors.team_tasks(user=request.auth)
    else:
        tasks = Task.objects.filter(organisation_id=scope.organisation_id, executor__user=request.auth)
    f = filters
    if f.state:
        tasks = tasks.filter(state=f.state)
    for name in ("executor_id", "location_id"):
        if getattr(f, name):
            tasks = tasks.filter(**{name: getattr(f, name)})
    if f.standard_id:
        tasks = tasks.filter(entry__standard_id=f.standard_id)
    if f.due_from:
        tasks = tasks.filter(due_on__gte=f.due_from)
    if f.due_to:
        tasks = tasks.filter(due_on__lte=f.due_to)
    if f.overdue is not None:
        overdue = {"state": TaskState.OPEN, "due_on__lt": timezone.localdate()}
        tasks = tasks.filter(**overdue) if f.overdue else tasks.exclude(**overdue)
    return tasks.select_related("party", "entry", "step").order_by("due_on", "pk")


@router.patch("/tasks/{task_id}", response={200: TaskOut, **WRITE_ERRORS}, tags=["touches"])
def task_outcome(request, task_id: int, body: OutcomeIn):
    """Marks an open task done with its outcome; 409 when it is already done or cancelled."""
    task = services.task_complete(user=request.auth, task_id=task_id, outcome=body.outcome,
                                  leaving_reason=body.leaving_reason, note=body.note)
    return Task.objects.select_related("party", "entry", "step").get(pk=task.pk)


class UpliftQuery(Schema):
    date_from: date | None = Field(None, description="First entry day (default: half a year ago).")
    date_to: date | None = Field(None, description="Last entry day (default: today).")
    window_days: int | None = Field(None, ge=1, le=365, description="Default: the standard's conversion window.")


@router.get("/touch-standards/{standard_id}/uplift", response={200: UpliftOut, **ONE_ERRORS}, tags=["touches"])
def standard_uplift(request, standard_id: int, query: Query[UpliftQuery]):
    """Conversion and revenue per client within the window, touched against control, with 95% intervals."""
    today = timezone.localdate()
    return selectors.uplift(user=request.auth, standard_id=standard_id,
                            date_from=query.date_from or today - timedelta(days=182),
                            date_to=query.date_to or today, as_of=today, window_days=query.window_days)
