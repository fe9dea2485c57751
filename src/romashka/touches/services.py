"""Writes of the touch system: standards and their versions, entries and tasks from status events,
cancellations, sending, outcomes, and the daily run that does all of it once a day.

Entries are keyed on (party, standard, entry date), never on status event ids, which every status
refresh replaces; generating twice therefore creates nothing new.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.http import Http404
from django.utils import timezone

from romashka.core.access import Capability, require, scope_for
from romashka.core.bulk import bulk_insert
from romashka.core.choices import Role
from romashka.core.errors import Conflict
from romashka.core.models import Channel, Employee, Organisation, Party
from romashka.discovery.choices import CommitteeRole
from romashka.discovery.models import Segment
from romashka.discovery.selectors import (
    committee_recipients,
    committee_roles_of,
    not_ours_party_ids,
    segment_party_ids,
)
from romashka.path.choices import Status
from romashka.path.models import StatusEvent
from romashka.touches.choices import (
    CONSENT_KIND,
    EXECUTOR_OUTCOMES,
    SENT_CHANNELS,
    CancelReason,
    DelayBasis,
    ExecutorRule,
    Group,
    LeavingReason,
    MessageState,
    Outcome,
    TaskState,
    TouchChannel,
    Trigger,
)
from romashka.touches.models import DailyRun, Entry, Message, Standard, StandardVersion, Step, Task

# How far back the daily run looks for status entries it has not answered yet (a missed day or two).
LOOKBACK_DAYS = 7
# Position names of a location's manager when no user with the location manager role works there.
MANAGER_POSITIONS = frozenset({"управляющий", "управляющая", "директор кафе", "location manager", "manager"})


# ---------------------------------------------------------------- standards


@dataclass
class StepSpec:
    """One step as the editor, the API or the demo gives it."""

    channel: str
    title: str
    template_ru: str
    delay_days: int = 0
    delay_basis: str = DelayBasis.ENTRY
    template_en: str = ""
    offer: str = ""
    aims_at_purchase: bool = True
    asks_leaving_reason: bool = False
    executor_rule: str = ExecutorRule.LOCATION_MANAGER
    executor_position: str = ""
    executor_employee_id: int | None = None
    committee_role: str = ""  # a B2B buying-committee role (discovery.choices.CommitteeRole) or none


@dataclass
class StandardSpec:
    name: str
    steps: list[StepSpec] = field(default_factory=list)
    control_share: Decimal = Decimal("0.10")
    conversion_days: int = 30
    responsible_id: int | None = None
    is_active: bool = True
    segment_id: int | None = None  # only clients of this discovery segment enter


def _check_spec(spec: StandardSpec, organisation_id: int) -> None:
    problems: dict[str, str] = {}
    if not spec.name.strip():
        problems["name"] = "Give the standard a name."
    if not (Decimal("0") <= Decimal(spec.control_share) <= Decimal("0.9")):
        problems["control_share"] = "The control share is between 0 and 0.9 (0.10 is 10%)."
    if not 1 <= spec.conversion_days <= 730:
        problems["conversion_days"] = "The conversion window is from 1 to 730 days."
    if not spec.steps:
        problems["steps"] = "A standard needs at least one step."
    if spec.segment_id is not None and not Segment.objects.filter(pk=spec.segment_id,
                                                                  organisation_id=organisation_id).exists():
        problems["segment_id"] = "Choose a segment of the organisation."
    for index, step in enumerate(spec.steps):
        where = f"steps.{index}"
        if step.channel not in TouchChannel.values:
            problems[f"{where}.channel"] = f"Unknown channel {step.channel!r}; one of {', '.join(TouchChannel.values)}."
        if step.delay_basis not in DelayBasis.values:
            problems[f"{where}.delay_basis"] = f"One of {', '.join(DelayBasis.values)}."
        if not -365 <= step.delay_days <= 730:
            problems[f"{where}.delay_days"] = "The delay is from -365 to 730 days."
        if not step.title.strip():
            problems[f"{where}.title"] = "Name the touch."
        if not step.template_ru.strip():
            problems[f"{where}.template_ru"] = "Write the message or the script in Russian."
        for name in ("template_ru", "template_en"):
            try:
                render_template(getattr(step, name), {key: "" for key in PLACEHOLDERS})
            except (KeyError, IndexError, ValueError) as exc:
                problems[f"{where}.{name}"] = (
                    f"Unknown placeholder {exc}; use {', '.join('{' + k + '}' for k in PLACEHOLDERS)}.")
        if step.executor_rule not in ExecutorRule.values:
            problems[f"{where}.executor_rule"] = f"One of {', '.join(ExecutorRule.values)}."
        elif step.executor_rule == ExecutorRule.POSITION and not step.executor_position.strip():
            problems[f"{where}.executor_position"] = "Name the position at the client's location."
        elif step.executor_rule == ExecutorRule.NAMED and not Employee.objects.filter(
                pk=step.executor_employee_id, party__organisation_id=organisation_id).exists():
            problems[f"{where}.executor_employee_id"] = "Choose an employee of the organisation."
        if step.committee_role and step.committee_role not in CommitteeRole.values:
            problems[f"{where}.committee_role"] = f"One of {', '.join(CommitteeRole.values)}, or none."
    if problems:
        raise ValidationError(problems)


def _version_write(*, standard: Standard, number: int, spec: StandardSpec, valid_from: date, user=None) -> StandardVersion:
    version = StandardVersion.objects.create(
        standard=standard, number=number, name=spec.name.strip(), is_active=spec.is_active,
        control_share=Decimal(spec.control_share), conversion_days=spec.conversion_days,
        responsible_id=spec.responsible_id, created_by=user, valid_from=valid_from, segment_id=spec.segment_id,
    )
    Step.objects.bulk_create([
        Step(version=version, position=index + 1, delay_days=s.delay_days, delay_basis=s.delay_basis,
             channel=s.channel, title=s.title.strip(), template_ru=s.template_ru, template_en=s.template_en,
             offer=s.offer, aims_at_purchase=s.aims_at_purchase, asks_leaving_reason=s.asks_leaving_reason,
             executor_rule=s.executor_rule, executor_position=s.executor_position.strip(),
             executor_employee_id=s.executor_employee_id if s.executor_rule == ExecutorRule.NAMED else None,
             committee_role=s.committee_role)
        for index, s in enumerate(spec.steps)
    ])
    return version


@transaction.atomic
def standard_create(*, organisation: Organisation, trigger: str, spec: StandardSpec, valid_from: date,
                    user=None) -> Standard:
    """A new standard with its first version; entries before `valid_from` are not touched by it."""
    if trigger not in Trigger.values:
        raise ValidationError({"trigger": f"One of {', '.join(Trigger.values)}."})
    _check_spec(spec, organisation.pk)
    standard = Standard.objects.create(organisation=organisation, trigger=trigger)
    _version_write(standard=standard, number=1, spec=spec, valid_from=valid_from, user=user)
    return standard


@transaction.atomic
def standard_version_create(*, standard: Standard, spec: StandardSpec, valid_from: date, user=None) -> StandardVersion:
    """A change of a standard: a new version for entries from now on; tasks made earlier keep their steps.

    Switching a standard off cancels its open tasks.
    """
    _check_spec(spec, standard.organisation_id)
    Standard.objects.select_for_update().filter(pk=standard.pk).first()
    number = (standard.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = _version_write(standard=standard, number=number, spec=spec, valid_from=valid_from, user=user)
    if not spec.is_active:
        Task.objects.filter(entry__standard=standard, state=TaskState.OPEN).update(
            state=TaskState.CANCELLED, cancel_reason=CancelReason.STANDARD_OFF, cancelled_on=valid_from)
    return version


def current_versions(*, organisation: Organisation | int) -> list[StandardVersion]:
    """The newest version of every standard of the organisation, with its steps."""
    versions = (StandardVersion.objects.filter(standard__organisation=organisation)
                .select_related("standard").prefetch_related("steps").order_by("standard_id", "-number"))
    newest: dict[int, StandardVersion] = {}
    for version in versions:
        newest.setdefault(version.standard_id, version)
    return list(newest.values())


def _standard_in_scope(user, standard_id: int) -> Standard:
    scope = require(user, Capability.MANAGE_TOUCHES)
    standard = Standard.objects.filter(pk=standard_id, organisation_id=scope.organisation_id).first()
    if standard is None:
        raise Http404("standard not found")
    return standard


def standard_create_by(*, user, trigger: str, spec: StandardSpec) -> Standard:
    from romashka.core.access import organisation_of
    from romashka.path.services import today_of

    require(user, Capability.MANAGE_TOUCHES)
    organisation = organisation_of(user)
    return standard_create(organisation=organisation, trigger=trigger, spec=spec, valid_from=today_of(organisation),
                           user=user)


def standard_change_by(*, user, standard_id: int, spec: StandardSpec) -> StandardVersion:
    from romashka.path.services import today_of

    standard = _standard_in_scope(user, standard_id)
    return standard_version_create(standard=standard, spec=spec, valid_from=today_of(standard.organisation),
                                   user=user)


# ---------------------------------------------------------------- control group


def in_control(*, party_id: int, standard_id: int, entered_on: date, share: Decimal | float) -> bool:
    """Random but reproducible: a hash of (client, standard, entry date) below the control share.

    The same entry always lands in the same group, on any machine and after any status refresh.
    """
    digest = hashlib.sha256(f"{party_id}:{standard_id}:{entered_on.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < float(share)


# ---------------------------------------------------------------- generation


def trigger_of(from_status: str | None, to_status: str) -> str | None:
    """The standard an event starts: back from lost is "won back", not a novice entry."""
    if from_status == Status.LOST and to_status != Status.LOST:
        return Trigger.WON_BACK
    if to_status in (Status.LEAD, Status.NOVICE, Status.FAN, Status.DORMANT, Status.LOST):
        return to_status
    return None


def _at_risk_rows(*, organisation: Organisation, since: date, as_of: date) -> list[tuple]:
    """Fans still at risk whose at-risk day lies in [since, as_of], as rows of entries_create's loop.

    The day is the refresh that first found them at risk (planning keeps it while they stay at risk),
    so a client at risk for weeks is one entry, not one a day; it is a fan, so leaving fan cancels.
    """
    from romashka.planning.models import ClvPrediction

    predictions = ClvPrediction.objects.filter(
        organisation=organisation, at_risk_since__gte=since, at_risk_since__lte=as_of,
        party__status_snapshot__status=Status.FAN,
    ).values_list("party_id", "at_risk_since", "party__home_location_id", "party__status_snapshot__last_purchase",
                  "party__status_snapshot__rhythm_days")
    return [(Trigger.AT_RISK, party_id, day, Status.FAN, location_id, last_purchase, rhythm)
            for party_id, day, location_id, last_purchase, rhythm in predictions]


@dataclass
class _Staff:
    """Who can execute at each location: its manager and its current staff by position."""

    managers: dict[int, int]
    by_position: dict[tuple[int, str], list[int]]

    @classmethod
    def of(cls, organisation_id: int) -> _Staff:
        rows = (Employee.objects.filter(party__organisation_id=organisation_id, left_on__isnull=True,
                                        location__isnull=False)
                .values_list("pk", "location_id", "position", "user__membership__role").order_by("pk"))
        managers: dict[int, int] = {}
        by_position: dict[tuple[int, str], list[int]] = defaultdict(list)
        by_title: dict[int, int] = {}
        for pk, location_id, position, role in rows:
            by_position[(location_id, position.strip().lower())].append(pk)
            if role == Role.LOCATION_MANAGER:
                managers.setdefault(location_id, pk)
            if position.strip().lower() in MANAGER_POSITIONS:
                by_title.setdefault(location_id, pk)
        for location_id, pk in by_title.items():
            managers.setdefault(location_id, pk)
        return cls(managers=managers, by_position=by_position)

    def executor(self, step: Step, location_id: int | None, party_id: int) -> int | None:
        if step.executor_rule == ExecutorRule.NAMED:
            return step.executor_employee_id
        if location_id is None:
            return None
        if step.executor_rule == ExecutorRule.LOCATION_MANAGER:
            return self.managers.get(location_id)
        staff = self.by_position.get((location_id, step.executor_position.strip().lower()))
        # Spread the clients over everyone in that position, the same way every time.
        return staff[party_id % len(staff)] if staff else None


def due_date(step: Step, *, entered_on: date, last_purchase: date | None, cycle_days: int) -> date:
    if step.delay_basis == DelayBasis.CYCLE and last_purchase is not None:
        return max(entered_on, last_purchase + timedelta(days=cycle_days + step.delay_days))
    return entered_on + timedelta(days=step.delay_days)


@transaction.atomic
def entries_generate(*, organisation: Organisation, as_of: date, since: date | None = None,
                     only_current: bool = True) -> dict[str, int]:
    """Entries (treated or control) and the treated entries' tasks for status events in [since, as_of].

    `only_current`: only entries the client is still in (the daily run); the demo's history passes
    False. Running it again creates nothing: existing (party, standard, entry date) are skipped.
    """
    counts, task_rows = entries_create(organisation=organisation, as_of=as_of, since=since, only_current=only_current)
    tasks_insert(task_rows)
    return counts


# The columns of a planned task, in the order tasks_insert writes them.
TASK_FIELDS = ("organisation", "entry", "step", "party", "location", "executor", "responsible", "channel", "due_on",
               "state", "outcome", "leaving_reason", "note", "done_at", "done_by", "cancel_reason", "cancelled_on")


def entries_create(*, organisation: Organisation, as_of: date, since: date | None = None,
                   only_current: bool = True) -> tuple[dict[str, int], list[dict]]:
    """The first half of entries_generate: writes the new entries and returns the planned tasks as
    dicts of TASK_FIELDS (ids, dates), so the demo can settle its history before they are written."""
    since = since or as_of - timedelta(days=LOOKBACK_DAYS)
    versions = [v for v in current_versions(organisation=organisation) if v.is_active]
    counts = {"entries": 0, "control": 0, "tasks": 0, "tasks_without_executor": 0, "no_consent": 0}
    if not versions:
        return counts, []
    by_trigger: dict[str, list[StandardVersion]] = defaultdict(list)
    for version in versions:
        by_trigger[version.standard.trigger].append(version)
    earliest = max(since, min(v.valid_from for v in versions))
    events = StatusEvent.objects.filter(organisation=organisation, changed_on__gte=earliest, changed_on__lte=as_of)
    if only_current:
        events = events.filter(party__status_snapshot__status=F("to_status"),
                               party__status_snapshot__status_since=F("changed_on"))
    rows = [
        (trigger_of(from_status, to_status), party_id, changed_on, to_status, location_id, last_purchase, rhythm)
        for party_id, changed_on, from_status, to_status, location_id, last_purchase, rhythm in events.values_list(
            "party_id", "changed_on", "from_status", "to_status", "party__home_location_id",
            "party__status_snapshot__last_purchase", "party__status_snapshot__rhythm_days",
        )
    ]
    if Trigger.AT_RISK in by_trigger:
        rows += _at_risk_rows(organisation=organisation, since=earliest, as_of=as_of)
    return _entries_plan(organisation=organisation, as_of=as_of, earliest=earliest, versions=versions,
                         by_trigger=by_trigger, rows=rows, counts=counts)


def _entries_plan(*, organisation: Organisation, as_of: date, earliest: date, versions: list[StandardVersion],
                  by_trigger: dict[str, list[StandardVersion]], rows: list[tuple], counts: dict[str, int],
                  ) -> tuple[dict[str, int], list[dict]]:
    """Entries of `rows` (trigger, party, day, status, location, last purchase, rhythm) into the versions:
    not-our clients never enter, a version with a segment takes only its clients, a step for a committee
    role only companies with such a member."""
    not_ours = not_ours_party_ids(organisation_id=organisation.pk)
    rows = [row for row in rows if row[1] not in not_ours]
    if not rows:
        return counts, []
    members = {v.segment_id: segment_party_ids(segment=v.segment) for v in versions if v.segment_id}
    roles = committee_roles_of(company_ids={row[1] for row in rows}) if any(
        s.committee_role for v in versions for s in v.steps.all()) else {}
    standard_ids = [v.standard_id for v in versions]
    existing = set(Entry.objects.filter(standard_id__in=standard_ids, entered_on__gte=earliest,
                                        entered_on__lte=as_of)
                   .values_list("party_id", "standard_id", "entered_on"))
    planned: list[tuple[int, StandardVersion, date, int | None, str, bool, date | None, int]] = []
    default_cycle = organisation.default_cycle_days
    for trigger, party_id, changed_on, to_status, location_id, last_purchase, rhythm in rows:
        for version in by_trigger.get(trigger, ()):
            key = (party_id, version.standard_id, changed_on)
            if changed_on < version.valid_from or key in existing:
                continue
            if version.segment_id and party_id not in members[version.segment_id]:
                continue
            existing.add(key)
            control = in_control(party_id=party_id, standard_id=version.standard_id, entered_on=changed_on,
                                 share=version.control_share)
            cycle = int(round(rhythm)) if rhythm else default_cycle
            planned.append((party_id, version, changed_on, location_id, to_status, control, last_purchase, cycle))
    if not planned:
        return counts, []
    from django.db import connection

    now = timezone.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + ("+00" if connection.vendor == "postgresql"
                                                                           else "")
    # Plain rows in bulk: the ORM's bulk_create spends seconds building model instances for a day's history.
    bulk_insert(Entry, ["organisation", "standard", "version", "party", "location", "entered_on", "status", "group",
                        "created_at"],
                ((organisation.pk, version.standard_id, version.pk, party_id, location_id, day.isoformat(), status,
                  Group.CONTROL if control else Group.TREATED, now)
                 for party_id, version, day, location_id, status, control, _l, _c in planned))
    ids = {(p, st, d): pk for pk, p, st, d in Entry.objects.filter(
        standard_id__in=standard_ids, entered_on__gte=earliest, entered_on__lte=as_of,
    ).values_list("pk", "party_id", "standard_id", "entered_on").iterator(chunk_size=20_000)}
    staff = _Staff.of(organisation.pk)
    consented = _consented_kinds(sorted({p[0] for p in planned if not p[5]}))
    tasks: list[dict] = []
    for party_id, version, entered_on, location_id, _status, control, last_purchase, cycle in planned:
        counts["entries"] += 1
        if control:
            counts["control"] += 1
            continue  # the control group is tracked through its entry and never touched
        entry_id = ids[(party_id, version.standard_id, entered_on)]
        for step in version.steps.all():
            if step.committee_role and step.committee_role not in roles.get(party_id, ()):
                continue
            executor = staff.executor(step, location_id, party_id)
            state, reason = TaskState.OPEN, ""
            # A call needs the phone's consent now; sent channels are checked again when sending.
            if step.channel == TouchChannel.CALL and CONSENT_KIND[step.channel] not in consented.get(party_id, ()):
                state, reason = TaskState.CANCELLED, CancelReason.NO_CONSENT
                counts["no_consent"] += 1
            tasks.append({
                "organisation": organisation.pk, "entry": entry_id, "step": step.pk, "party": party_id,
                "location": location_id, "executor": executor, "responsible": version.responsible_id,
                "channel": step.channel, "state": state, "outcome": "", "leaving_reason": "", "note": "",
                "done_at": None, "done_by": None, "cancel_reason": reason, "cancelled_on": as_of if reason else None,
                "due_on": due_date(step, entered_on=entered_on, last_purchase=last_purchase, cycle_days=cycle),
                # for the demo's history; not written
                "entered_on": entered_on, "aims_at_purchase": step.aims_at_purchase,
                "asks_leaving_reason": step.asks_leaving_reason,
            })
            counts["tasks"] += 1
            if executor is None and step.channel not in SENT_CHANNELS:
                counts["tasks_without_executor"] += 1
    return counts, tasks


@transaction.atomic
def entries_from_list(*, standard: Standard, party_ids: Iterable[int], on: date) -> dict[str, int]:
    """Puts chosen clients on a standard "chosen from a list" on `on` (an RFM cell, the interview
    suggestions): entries, control group and tasks as for a status entry; again on the same day adds nothing."""
    if standard.trigger != Trigger.LIST:
        raise ValidationError({"standard": "Only a standard chosen from a list takes clients by hand."})
    versions = [v for v in current_versions(organisation=standard.organisation_id)
                if v.standard_id == standard.pk and v.is_active and v.valid_from <= on]
    counts = {"entries": 0, "control": 0, "tasks": 0, "tasks_without_executor": 0, "no_consent": 0}
    if not versions:
        return counts
    rows = [
        (Trigger.LIST, party_id, on, status or Status.LEAD, location_id, last_purchase, rhythm)
        for party_id, status, location_id, last_purchase, rhythm in Party.objects.filter(
            organisation_id=standard.organisation_id, pk__in=list(party_ids),
        ).values_list("pk", "status_snapshot__status", "home_location_id", "status_snapshot__last_purchase",
                      "status_snapshot__rhythm_days").order_by("pk")
    ]
    counts, tasks = _entries_plan(organisation=standard.organisation, as_of=on, earliest=on, versions=versions,
                                  by_trigger={Trigger.LIST: versions}, rows=rows, counts=counts)
    tasks_insert(tasks)
    return counts


def tasks_insert(tasks: list[dict]) -> int:
    """Writes planned tasks in bulk (COPY on PostgreSQL): dates as ISO text, datetimes in UTC."""
    from django.db import connection

    suffix = "+00" if connection.vendor == "postgresql" else ""
    now = timezone.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + suffix

    def text(value):
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") + suffix
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return value
        return None if value is None else value if isinstance(value, int) else str(value)

    return bulk_insert(Task, [*TASK_FIELDS, "created_at"],
                       ([*(text(task[name]) for name in TASK_FIELDS), now] for task in tasks))


def _consented_kinds(party_ids: list[int]) -> dict[int, set[str]]:
    """Channel kinds each party has consented to and not withdrawn."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(party_ids), 900):
        chunk = party_ids[start:start + 900]
        for party_id, kind in Channel.objects.filter(
                party_id__in=chunk, consent_at__isnull=False, consent_withdrawn_at__isnull=True
        ).values_list("party_id", "kind"):
            kinds[party_id].add(kind)
    return kinds


# ---------------------------------------------------------------- cancellation


@transaction.atomic
def tasks_cancel_obsolete(*, organisation: Organisation, as_of: date) -> dict[str, int]:
    """Cancels open tasks the client made pointless: it bought first (purchase-aimed steps), or it left
    the standard's status (every step). Each cancelled task keeps its reason."""
    open_tasks = Task.objects.filter(organisation=organisation, state=TaskState.OPEN)
    bought = open_tasks.filter(
        step__aims_at_purchase=True,
        party__status_snapshot__last_purchase__gt=F("entry__entered_on"),
    ).update(state=TaskState.CANCELLED, cancel_reason=CancelReason.CLIENT_BOUGHT, cancelled_on=as_of)
    # Clients put on a standard from a list entered no status, so they cannot leave one.
    open_tasks = open_tasks.exclude(entry__standard__trigger=Trigger.LIST)
    left = open_tasks.filter(
        Q(party__status_snapshot__isnull=True)
        | ~Q(party__status_snapshot__status=F("entry__status"))
        | ~Q(party__status_snapshot__status_since=F("entry__entered_on"))
    ).update(state=TaskState.CANCELLED, cancel_reason=CancelReason.LEFT_STATUS, cancelled_on=as_of)
    return {"cancelled_bought": bought, "cancelled_left": left}


# ---------------------------------------------------------------- messages

PLACEHOLDERS = ("name", "last_purchase", "location", "offer")


class _Strict(dict):
    def __missing__(self, key):
        raise KeyError(key)


def render_template(template: str, values: dict[str, str]) -> str:
    """`{name}`-style placeholders; an unknown one raises KeyError (the editor reports it)."""
    return template.format_map(_Strict(values))


def message_values(*, name: str, last_purchase: date | None, location: str | None, offer: str,
                   language: str = "ru") -> dict[str, str]:
    day = "" if last_purchase is None else (last_purchase.strftime("%d.%m.%Y") if language == "ru"
                                            else last_purchase.isoformat())
    first_name = name.split()[1] if language == "ru" and len(name.split()) >= 2 else name.split()[0] if name else ""
    return {"name": first_name, "last_purchase": day, "location": location or "", "offer": offer}


def task_script(task: Task, language: str = "ru") -> str:
    """The task's message or call script for the client, in the page's language when the step has it."""
    step = task.step
    template = step.template_en if language == "en" and step.template_en.strip() else step.template_ru
    snapshot = getattr(task.party, "status_snapshot", None)
    values = message_values(name=task.party.name, last_purchase=snapshot.last_purchase if snapshot else None,
                            location=task.location.name if task.location else "", offer=step.offer,
                            language="en" if template is step.template_en else "ru")
    try:
        return render_template(template, values)
    except (KeyError, IndexError, ValueError):
        return template


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    address: str
    subject: str
    body: str


class OutboxSender:
    """The default SMS and messenger sender: keeps the messages in the outbox page, sends nothing.

    Replace with a gateway by naming a class with the same `send` in ROMASHKA_MESSAGE_SENDER.
    """

    name = "outbox"

    def send(self, messages: list[OutgoingMessage]) -> list[str]:
        return [MessageState.OUTBOX for _ in messages]


def message_sender():
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "ROMASHKA_MESSAGE_SENDER", "romashka.touches.services.OutboxSender")
    return import_string(path)()


def _send_email(messages: list[OutgoingMessage]) -> list[str]:
    from django.core.mail import EmailMessage, get_connection

    connection = get_connection()
    states = []
    for message in messages:
        try:
            EmailMessage(subject=message.subject, body=message.body, to=[message.address],
                         connection=connection).send()
            states.append(MessageState.SENT)
        except Exception:  # one unreachable address must not stop the day's other messages
            states.append(MessageState.FAILED)
    return states


@transaction.atomic
def messages_send_due(*, organisation: Organisation, as_of: date) -> dict[str, int]:
    """Sends the open SMS, e-mail and messenger tasks due by `as_of`: only to a channel with consent;
    a task without one is cancelled and its message logged as not sent, with the reason."""
    due = list(Task.objects.filter(organisation=organisation, state=TaskState.OPEN, due_on__lte=as_of,
                                   channel__in=list(SENT_CHANNELS))
               .select_related("step", "party__status_snapshot", "location").order_by("pk"))
    counts = {"sent": 0, "outbox": 0, "skipped": 0, "failed": 0}
    if not due:
        return counts
    channels: dict[tuple[int, str], list[Channel]] = defaultdict(list)
    # A step for a committee role goes to the company's member in that role, not to the company.
    recipients = committee_recipients(pairs={(t.party_id, t.step.committee_role) for t in due if t.step.committee_role})
    party_ids = sorted({t.party_id for t in due} | set(recipients.values()))
    for start in range(0, len(party_ids), 900):
        for channel in Channel.objects.filter(party_id__in=party_ids[start:start + 900]).order_by("-is_primary", "pk"):
            channels[(channel.party_id, channel.kind)].append(channel)
    sender = message_sender()
    outgoing: dict[str, list[tuple[Task, OutgoingMessage]]] = defaultdict(list)
    records: list[Message] = []
    now = timezone.now()
    for task in due:
        kind = CONSENT_KIND[task.channel]
        body = task_script(task, "ru")
        recipient = recipients.get((task.party_id, task.step.committee_role), task.party_id)
        candidates = channels.get((recipient, kind), [])
        consented = [c for c in candidates if c.has_consent]
        if not consented:
            reason = CancelReason.NO_CONSENT if candidates else CancelReason.NO_ADDRESS
            task.state, task.cancel_reason, task.cancelled_on = TaskState.CANCELLED, reason, as_of
            records.append(Message(organisation=organisation, task=task, party_id=task.party_id, channel=task.channel,
                                   address=candidates[0].normalized if candidates else "", body=body,
                                   state=MessageState.SKIPPED, reason=str(reason.label)))
            counts["skipped"] += 1
            continue
        subject = task.step.title
        outgoing["email" if task.channel == TouchChannel.EMAIL else "other"].append(
            (task, OutgoingMessage(channel=task.channel, address=consented[0].normalized, subject=subject, body=body)))
    for group, items in outgoing.items():
        messages = [m for _t, m in items]
        states = _send_email(messages) if group == "email" else sender.send(messages)
        sender_name = "django-email" if group == "email" else sender.name
        for (task, message), state in zip(items, states, strict=True):
            records.append(Message(organisation=organisation, task=task, party_id=task.party_id, channel=task.channel,
                                   address=message.address, body=message.body, state=state, sender=sender_name))
            counts[state] += 1
            if state in (MessageState.SENT, MessageState.OUTBOX):
                task.state, task.outcome, task.done_at = TaskState.DONE, Outcome.SENT, now
    Task.objects.bulk_update(due, ["state", "outcome", "done_at", "cancel_reason", "cancelled_on"], batch_size=1000)
    Message.objects.bulk_create(records, batch_size=1000)
    return counts


# ---------------------------------------------------------------- outcomes


def task_for_user(user, task_id: int) -> Task:
    """The task when it is the user's own or, for a role that sees the team's tasks, within its locations."""
    scope = scope_for(user)
    task = (Task.objects.filter(pk=task_id, organisation_id=scope.organisation_id)
            .select_related("step", "executor", "party").first())
    if task is None:
        raise Http404("task not found")
    if task.executor is not None and task.executor.user_id == user.pk:
        return task
    if task.responsible_id == user.pk:
        return task
    if scope.can(Capability.VIEW_TEAM_TASKS) and (scope.location_ids is None or task.location_id in scope.location_ids):
        return task
    raise Http404("task not found")


@transaction.atomic
def task_complete(*, user, task_id: int, outcome: str, leaving_reason: str = "", note: str = "") -> Task:
    """Marks an open task done with an outcome; a lost client's "why did you leave" needs the reason
    when the client was reached."""
    task = task_for_user(user, task_id)
    own = task.executor is not None and task.executor.user_id == user.pk
    # Managers may close their team's tasks; the responsible person watches but does not execute.
    if not own and not scope_for(user).can(Capability.VIEW_TEAM_TASKS):
        raise PermissionDenied("only the executor or a manager of the location marks a task done")
    problems = {}
    if outcome not in [o.value for o in EXECUTOR_OUTCOMES]:
        problems["outcome"] = f"One of {', '.join(o.value for o in EXECUTOR_OUTCOMES)}."
    if leaving_reason and leaving_reason not in LeavingReason.values:
        problems["leaving_reason"] = f"One of {', '.join(LeavingReason.values)}."
    if task.step.asks_leaving_reason and outcome == Outcome.REACHED and not leaving_reason:
        problems["leaving_reason"] = "The client was reached: choose why it left."
    if len(note) > 2000:
        problems["note"] = "At most 2000 characters."
    if problems:
        raise ValidationError(problems)
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.state != TaskState.OPEN:
        raise Conflict(f"The task is already {locked.get_state_display()}.", {"state": locked.state})
    locked.state, locked.outcome, locked.leaving_reason, locked.note = TaskState.DONE, outcome, leaving_reason, note
    locked.done_at, locked.done_by = timezone.now(), user
    locked.save(update_fields=["state", "outcome", "leaving_reason", "note", "done_at", "done_by"])
    return locked


# ---------------------------------------------------------------- the daily run


def daily_run(*, organisation: Organisation, today: date, refresh: bool = True, force: bool = False) -> dict:
    """Refresh statuses when due, make due entries and tasks, cancel obsolete tasks, send due messages.

    Once per organisation and day: a second call the same day finds the day's run and does nothing.
    """
    from romashka.path.refresh import refresh_is_due, status_refresh_logged

    with transaction.atomic():
        run, created = DailyRun.objects.select_for_update().get_or_create(organisation=organisation, day=today)
        if not created and run.finished_at is not None and not force:
            return {"skipped": True, "day": today.isoformat(), **run.summary}
    summary: dict = {"day": today.isoformat()}
    if refresh and refresh_is_due(organisation=organisation, today=today):
        summary["refresh_seconds"] = status_refresh_logged(organisation=organisation, as_of=today)["seconds"]
    # Cancel first: a client who bought yesterday must not get today's offer.
    summary.update(tasks_cancel_obsolete(organisation=organisation, as_of=today))
    summary.update(entries_generate(organisation=organisation, as_of=today))
    summary.update({f"messages_{state}": n for state, n in messages_send_due(organisation=organisation,
                                                                             as_of=today).items()})
    from romashka.feedback.services import waves_send_due

    summary["survey_links_sent"] = waves_send_due(organisation=organisation, today=today)
    DailyRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), summary=summary)
    summary["skipped"] = False
    return summary


def daily_if_due() -> list[tuple[Organisation, dict]]:
    """One round of the background schedule: each organisation's daily run once its day has started."""
    from romashka.path.services import today_of

    done = []
    for organisation in Organisation.objects.order_by("pk"):
        today = today_of(organisation)
        if not DailyRun.objects.filter(organisation=organisation, day=today, finished_at__isnull=False).exists():
            done.append((organisation, daily_run(organisation=organisation, today=today)))
    return done
