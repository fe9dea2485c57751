"""Writes of the surveys: defaults, waves and their personal links (sent or downloaded), answers through a
link, and the detractors' follow-up tasks in the touch system.

A link's token is 192 random bits shown once (in the message or the downloaded list); only its SHA-256 is
kept. Answering marks the link used in the same transaction that writes the answer, so a second try finds
it used; an anonymous answer keeps no party, no day and nothing that leads back to its link.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from romashka.core.access import Capability, Scope
from romashka.core.choices import ChannelKind
from romashka.core.models import Channel, Department, Employee, Location, Organisation, Party
from romashka.feedback.choices import ANONYMOUS_KINDS, DEFAULT_STAGES, SurveyKind
from romashka.feedback.models import (
    Answer,
    DeliveryRating,
    DetractorStandard,
    InternalService,
    JourneyStage,
    ServiceRating,
    StageRating,
    Survey,
    SurveyLink,
    Wave,
)

TOKEN_BYTES = 24  # 192 bits; the issue asks for at least 128
# Client waves ask the guests who bought at the location within this many days before the wave.
RECENT_DAYS = 30
WAVE_LINKS_MAX = 2000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def month_of(day: date) -> date:
    return day.replace(day=1)


# ---------------------------------------------------------------- defaults


def stages_ensure(*, organisation: Organisation) -> list[JourneyStage]:
    """The organisation's journey stages; the five default ones when it has none yet."""
    stages = list(JourneyStage.objects.filter(organisation=organisation))
    if not stages:
        stages = JourneyStage.objects.bulk_create([
            JourneyStage(organisation=organisation, code=code, name_ru=ru, name_en=en, position=index)
            for index, (code, ru, en) in enumerate(DEFAULT_STAGES)
        ])
    return stages


def survey_kinds_allowed(scope: Scope) -> list[str]:
    """Kinds of survey a role may send: client and partner surveys with client feedback, staff ones with eNPS."""
    if not scope.can(Capability.MANAGE_SURVEYS):
        return []
    kinds = []
    if scope.can(Capability.VIEW_FEEDBACK):
        kinds += [SurveyKind.CLIENT, SurveyKind.PARTNER, SurveyKind.DELIVERY]
    if scope.can(Capability.VIEW_STAFF_FEEDBACK):
        kinds += [SurveyKind.EMPLOYEE, SurveyKind.INTERNAL]
    return kinds


# ---------------------------------------------------------------- waves and links


@dataclass(frozen=True)
class IssuedLink:
    """A link as its recipient gets it; the token exists only here and in what is sent or downloaded."""

    party_id: int
    name: str
    location: str
    department: str
    token: str
    address: str
    channel: str


def _recipients(wave: Wave, organisation_id: int, limit: int) -> list[tuple[int, int | None, int | None]]:
    """(party, location, department) of the wave's recipients, in a fixed order."""
    kind = wave.survey.kind
    if kind == SurveyKind.CLIENT:
        from romashka.path.models import Purchase

        purchases = Purchase.objects.filter(
            organisation_id=organisation_id, purchased_on__gt=wave.scheduled_on - timedelta(days=RECENT_DAYS),
            purchased_on__lte=wave.scheduled_on)
        if wave.location_id:
            purchases = purchases.filter(location_id=wave.location_id)
        rows = (purchases.order_by("party_id").values_list("party_id", "location_id").distinct())
        seen: dict[int, int | None] = {}
        for party_id, location_id in rows:
            seen.setdefault(party_id, location_id)
        return [(party_id, location_id, None) for party_id, location_id in list(seen.items())[:limit]]
    if kind == SurveyKind.DELIVERY:
        # The location's manager rates the deliveries to it.
        from romashka.touches.services import _Staff

        managers = _Staff.of(organisation_id).managers
        if wave.location_id:
            managers = {k: v for k, v in managers.items() if k == wave.location_id}
        parties = dict(Employee.objects.filter(pk__in=managers.values()).values_list("pk", "party_id"))
        return [(parties[employee], location_id, None) for location_id, employee in sorted(managers.items())
                if employee in parties][:limit]
    if kind == SurveyKind.PARTNER:
        locations = Location.objects.filter(organisation_id=organisation_id, partner__isnull=False)
        if wave.location_id:
            locations = locations.filter(pk=wave.location_id)
        partners = sorted(set(locations.values_list("partner_id", flat=True)))
        return [(party_id, None, None) for party_id in partners[:limit]]
    staff = Employee.objects.filter(party__organisation_id=organisation_id, left_on__isnull=True,
                                    hired_on__lte=wave.scheduled_on)
    if wave.location_id:
        staff = staff.filter(location_id=wave.location_id)
    if wave.department_id:
        staff = staff.filter(department_id=wave.department_id)
    if kind == SurveyKind.INTERNAL:
        served = InternalService.objects.filter(organisation_id=organisation_id).values("customer_id")
        staff = staff.filter(department_id__in=served)
    return list(staff.order_by("pk").values_list("party_id", "location_id", "department_id")[:limit])


def _addresses(party_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The consented e-mail (preferred) or phone of each party: (channel kind, address)."""
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(party_ids), 900):
        chunk = party_ids[start:start + 900]
        for party_id, kind, value in (Channel.objects.filter(
                party_id__in=chunk, consent_at__isnull=False, consent_withdrawn_at__isnull=True,
                kind__in=[ChannelKind.EMAIL, ChannelKind.PHONE])
                .order_by("party_id", "-is_primary", "pk").values_list("party_id", "kind", "normalized")):
            if party_id not in found or (kind == ChannelKind.EMAIL and found[party_id][0] != ChannelKind.EMAIL):
                found[party_id] = (kind, value)
    return found


@transaction.atomic
def wave_links_issue(*, wave: Wave, language: str = "ru", limit: int = WAVE_LINKS_MAX) -> list[IssuedLink]:
    """New personal links for the wave's recipients (one each); returns them with their tokens, once."""
    organisation_id = wave.survey.organisation_id
    recipients = _recipients(wave, organisation_id, limit)
    already = set(SurveyLink.objects.filter(wave=wave).values_list("party_id", flat=True))
    recipients = [r for r in recipients if r[0] not in already]
    names = dict(Party.objects.filter(pk__in=[r[0] for r in recipients]).values_list("pk", "name"))
    locations = dict(Location.objects.filter(organisation_id=organisation_id).values_list("pk", "name"))
    departments = dict(Department.objects.filter(organisation_id=organisation_id).values_list("pk", "name"))
    addresses = _addresses([r[0] for r in recipients])
    issued, rows = [], []
    for party_id, location_id, department_id in recipients:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append(SurveyLink(wave=wave, token_hash=token_hash(token), party_id=party_id, location_id=location_id,
                               department_id=department_id, language=language, expires_on=wave.expires_on))
        channel, address = addresses.get(party_id, ("", ""))
        issued.append(IssuedLink(party_id, names.get(party_id, ""), locations.get(location_id, ""),
                                 departments.get(department_id, ""), token, address, channel))
    SurveyLink.objects.bulk_create(rows, batch_size=1000)
    Wave.objects.filter(pk=wave.pk).update(links=wave.links + len(rows), sent_at=wave.sent_at or timezone.now())
    return issued


def wave_create(*, scope: Scope, survey_id: int, scheduled_on: date, location_id: int | None = None,
                department_id: int | None = None, user=None) -> Wave:
    """A wave of a survey the role may send, for a location in its scope (or the network) or a department."""
    survey = Survey.objects.filter(pk=survey_id, organisation_id=scope.organisation_id).first()
    problems: dict[str, str] = {}
    if survey is None:
        problems["survey"] = "Choose one of the organisation's surveys."
    elif survey.kind not in survey_kinds_allowed(scope):
        raise PermissionDenied("the role may not send this kind of survey")
    if location_id is not None and (
            not Location.objects.filter(pk=location_id, organisation_id=scope.organisation_id).exists()
            or (scope.location_ids is not None and location_id not in scope.location_ids)):
        problems["location"] = "Choose a location you can see."
    if location_id is None and scope.location_ids is not None:
        problems["location"] = "Choose your location."
    if department_id is not None and not Department.objects.filter(
            pk=department_id, organisation_id=scope.organisation_id).exists():
        problems["department"] = "Choose one of the organisation's departments."
    if problems:
        raise ValidationError(problems)
    return Wave.objects.create(survey=survey, location_id=location_id, department_id=department_id,
                               scheduled_on=scheduled_on, expires_on=scheduled_on + timedelta(days=survey.link_days),
                               created_by=user)


def survey_url(token: str, base_url: str = "") -> str:
    from django.urls import reverse

    return base_url.rstrip("/") + reverse("survey_answer", args=[token])


def wave_send(*, wave: Wave, base_url: str = "") -> dict[str, int]:
    """Issues the wave's links and sends each to its recipient's consented e-mail or phone through the
    touch system's senders (e-mail by Django, SMS by the configured sender: the outbox by default)."""
    from romashka.touches.services import OutgoingMessage, _send_email, message_sender

    issued = wave_links_issue(wave=wave)
    survey = wave.survey
    subject = survey.name
    outgoing: dict[str, list[OutgoingMessage]] = {"email": [], "sms": []}
    for link in issued:
        if not link.address:
            continue
        body = f"{survey.intro('ru') or survey.name}\n{survey_url(link.token, base_url)}"
        channel = "email" if link.channel == ChannelKind.EMAIL else "sms"
        outgoing[channel].append(OutgoingMessage(channel=channel, address=link.address, subject=subject, body=body))
    states = _send_email(outgoing["email"]) if outgoing["email"] else []
    states += message_sender().send(outgoing["sms"]) if outgoing["sms"] else []
    sent = sum(1 for state in states if state in ("sent", "outbox"))
    return {"links": len(issued), "sent": sent, "without_address": len(issued) - len(states)}


def public_base_url() -> str:
    """Where the links point when no request says it (the daily run): ROMASHKA_PUBLIC_URL, else this laptop."""
    import os

    from django.conf import settings

    return getattr(settings, "ROMASHKA_PUBLIC_URL", "") or os.environ.get("ROMASHKA_PUBLIC_URL",
                                                                          "http://127.0.0.1:8000")


def waves_send_due(*, organisation: Organisation, today: date) -> int:
    """Sends every wave scheduled up to today and not sent yet (the daily run calls it); the links issued."""
    due = Wave.objects.filter(survey__organisation=organisation, scheduled_on__lte=today, sent_at__isnull=True,
                              expires_on__gte=today).select_related("survey")
    return sum(wave_send(wave=wave, base_url=public_base_url())["links"] for wave in due)


# ---------------------------------------------------------------- answering


class LinkProblem(Exception):
    """Why a link cannot be answered: forged (unknown), expired or used. Nothing is recorded."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


FORGED, EXPIRED, USED = "forged", "expired", "used"


def link_open(token: str, today: date) -> SurveyLink:
    """The link of a token, when it can still be answered; LinkProblem otherwise."""
    if not token or len(token) > 100:
        raise LinkProblem(FORGED)
    link = SurveyLink.objects.filter(token_hash=token_hash(token)).select_related("wave__survey").first()
    if link is None:
        raise LinkProblem(FORGED)
    if link.used:
        raise LinkProblem(USED)
    if link.expires_on < today:
        raise LinkProblem(EXPIRED)
    return link


def questions_of(link: SurveyLink) -> dict:
    """What the link's form asks besides the score: the journey stages or the departments to rate."""
    survey = link.wave.survey
    if survey.kind == SurveyKind.CLIENT:
        return {"stages": list(JourneyStage.objects.filter(organisation_id=survey.organisation_id, is_active=True))}
    if survey.kind == SurveyKind.INTERNAL:
        providers = (Department.objects.filter(serves__customer_id=link.department_id,
                                               serves__organisation_id=survey.organisation_id)
                     .order_by("name") if link.department_id else Department.objects.none())
        return {"providers": list(providers)}
    if survey.kind == SurveyKind.DELIVERY:
        return {"suppliers": suppliers_of(organisation_id=survey.organisation_id, location_id=link.location_id,
                                          until=link.wave.scheduled_on)}
    return {}


SUPPLIER_DAYS = 90


def suppliers_of(*, organisation_id: int, location_id: int | None, until: date) -> list[Party]:
    """The suppliers that delivered to the location in the 90 days to `until`, by name."""
    from romashka.chamomile.models import SupplierOrder

    orders = SupplierOrder.objects.filter(organisation_id=organisation_id, location_id=location_id,
                                          ordered_on__gt=until - timedelta(days=SUPPLIER_DAYS), ordered_on__lte=until)
    return list(Party.objects.filter(pk__in=orders.values("supplier_id")).order_by("name"))


@dataclass
class ParsedAnswer:
    score: int | None = None
    satisfaction: int | None = None
    comment: str = ""
    stages: dict[int, int] | None = None
    services: dict[int, tuple[int, int, int, str]] | None = None
    deliveries: dict[int, tuple[int, int, int, str]] | None = None


def answer_submit(*, token: str, parsed: ParsedAnswer, today: date) -> Answer:
    """Writes the answer of a link and marks the link used; LinkProblem (nothing written) when it cannot be.

    The link is claimed in a transaction of its own and the answer written in the next one, so the two rows
    never share a transaction id (PostgreSQL's xmin would otherwise join an anonymous answer to its link);
    the claim is a conditional update, so two posts at once cannot both answer, and it is undone if the
    answer cannot be written.
    """
    link = link_open(token, today)
    with transaction.atomic():
        claimed = SurveyLink.objects.filter(pk=link.pk, used=False).update(used=True)
    if not claimed:
        raise LinkProblem(USED)
    try:
        with transaction.atomic():
            answer = _answer_write(link, parsed, today)
    except Exception:
        SurveyLink.objects.filter(pk=link.pk).update(used=False)
        raise
    survey = link.wave.survey
    if survey.kind == SurveyKind.CLIENT and answer.score is not None and answer.score <= 6:
        detractor_tasks_create(organisation=survey.organisation, since=today, until=today)
    return answer


def _answer_write(link: SurveyLink, parsed: ParsedAnswer, today: date) -> Answer:
    survey = link.wave.survey
    anonymous = survey.kind in ANONYMOUS_KINDS
    answer = Answer.objects.create(
        organisation_id=survey.organisation_id, survey=survey, wave_id=link.wave_id, kind=survey.kind,
        month=month_of(today), location_id=link.location_id or link.wave.location_id,
        department_id=link.department_id, party_id=None if anonymous else link.party_id,
        answered_on=None if anonymous else today, score=parsed.score, satisfaction=parsed.satisfaction,
        comment=parsed.comment,
    )
    if parsed.stages:
        StageRating.objects.bulk_create([StageRating(answer=answer, stage_id=stage_id, rating=rating)
                                         for stage_id, rating in parsed.stages.items()])
    if parsed.services:
        ServiceRating.objects.bulk_create([
            ServiceRating(answer=answer, provider_id=provider_id, quality=q, speed=s, courtesy=c, comment=text)
            for provider_id, (q, s, c, text) in parsed.services.items()])
    if parsed.deliveries:
        DeliveryRating.objects.bulk_create([
            DeliveryRating(answer=answer, supplier_id=supplier_id, on_time=t, complete=c, quality=q, comment=text)
            for supplier_id, (t, c, q, text) in parsed.deliveries.items()])
    return answer


# ---------------------------------------------------------------- detractors' follow-up


DETRACTOR_STANDARD_NAME = "Звонок недовольному гостю (NPS 0–6)"


def detractor_standard(*, organisation: Organisation):
    """The touch standard the detractors' follow-ups belong to: a call by the location manager, no control
    group, clients put on it from the list of detractors (so a change of status does not cancel the call)."""
    from romashka.touches.choices import ExecutorRule, TouchChannel, Trigger
    from romashka.touches.services import StandardSpec, StepSpec, current_versions, standard_create

    link = DetractorStandard.objects.filter(organisation=organisation).select_related("standard").first()
    if link is None:
        spec = StandardSpec(
            name=DETRACTOR_STANDARD_NAME, control_share=Decimal("0"), conversion_days=30,
            steps=[StepSpec(
                channel=TouchChannel.CALL, title="Позвонить гостю, поставившему низкую оценку",
                template_ru=("{name}, здравствуйте! Вы поставили нам низкую оценку. Расскажите, пожалуйста, "
                             "что пошло не так в «{location}», — мы хотим это исправить."),
                template_en=("Hello {name}! You gave us a low score. Please tell us what went wrong at "
                             "{location}: we want to put it right."),
                aims_at_purchase=False, executor_rule=ExecutorRule.LOCATION_MANAGER)],
        )
        standard = standard_create(organisation=organisation, trigger=Trigger.LIST, spec=spec,
                                   valid_from=date(2000, 1, 1))
        link = DetractorStandard.objects.create(organisation=organisation, standard=standard)
    version = next(v for v in current_versions(organisation=organisation) if v.standard_id == link.standard_id)
    return link.standard, version


@transaction.atomic
def detractor_tasks_create(*, organisation: Organisation, since: date, until: date) -> int:
    """A follow-up call for the location manager for every client answer of 0–6 in [since, until]; a second
    run creates nothing (one entry per client, standard and day). Returns the tasks created."""
    from romashka.path.choices import Status
    from romashka.touches.choices import Group, TaskState
    from romashka.touches.models import Entry
    from romashka.touches.services import _Staff, tasks_insert

    answers = list(Answer.objects.filter(
        organisation=organisation, kind=SurveyKind.CLIENT, score__lte=6, party__isnull=False,
        answered_on__gte=since, answered_on__lte=until,
    ).order_by("answered_on", "pk").values_list("party_id", "answered_on", "location_id", "score", "comment",
                                                 "party__home_location_id", "party__status_snapshot__status"))
    if not answers:
        return 0
    standard, version = detractor_standard(organisation=organisation)
    existing = set(Entry.objects.filter(standard=standard, entered_on__gte=since, entered_on__lte=until)
                   .values_list("party_id", "entered_on"))
    fresh: dict[tuple[int, date], tuple] = {}
    for party_id, day, location_id, score, comment, home_id, status in answers:
        if (party_id, day) not in existing:
            fresh.setdefault((party_id, day), (location_id or home_id, score, comment, status or Status.NOVICE))
    if not fresh:
        return 0
    entries = Entry.objects.bulk_create([
        Entry(organisation=organisation, standard=standard, version=version, party_id=party_id,
              location_id=location_id, entered_on=day, status=status, group=Group.TREATED)
        for (party_id, day), (location_id, _score, _comment, status) in fresh.items()
    ])
    ids = {(e.party_id, e.entered_on): e.pk for e in Entry.objects.filter(
        standard=standard, entered_on__gte=since, entered_on__lte=until)}
    staff = _Staff.of(organisation.pk)
    step = version.steps.all()[0]
    tasks = []
    for (party_id, day), (location_id, score, comment, _status) in fresh.items():
        note = f"NPS {score}" + (f": «{comment.strip()[:500]}»" if comment.strip() else "")
        tasks.append({
            "organisation": organisation.pk, "entry": ids[(party_id, day)], "step": step.pk, "party": party_id,
            "location": location_id, "executor": staff.executor(step, location_id, party_id),
            "responsible": version.responsible_id, "channel": step.channel, "due_on": day + timedelta(days=1),
            "state": TaskState.OPEN, "outcome": "", "leaving_reason": "", "note": note, "done_at": None,
            "done_by": None, "cancel_reason": "", "cancelled_on": None,
        })
    tasks_insert(tasks)
    return len(entries)


# ---------------------------------------------------------------- setup edits


def internal_services_set(*, organisation: Organisation, pairs: list[tuple[int, int]]) -> int:
    """Which department serves which: (provider, customer) pairs replace the organisation's list."""
    departments = set(Department.objects.filter(organisation=organisation).values_list("pk", flat=True))
    bad = [pair for pair in pairs if pair[0] not in departments or pair[1] not in departments or pair[0] == pair[1]]
    if bad:
        raise ValidationError({"pairs": "Each pair is two different departments of the organisation."})
    with transaction.atomic():
        InternalService.objects.filter(organisation=organisation).delete()
        InternalService.objects.bulk_create([InternalService(organisation=organisation, provider_id=p, customer_id=c)
                                             for p, c in sorted(set(pairs))])
    return len(set(pairs))
