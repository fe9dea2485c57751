"""Writes of discovery: segments, "not our client" marks, company profiles, committees, interviews, products."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from romashka.core.access import Capability, require
from romashka.core.bulk import bulk_insert
from romashka.core.choices import ChannelKind, PartyForm
from romashka.core.models import Channel, Organisation, Party
from romashka.discovery.choices import (
    MAX_CONDITIONS,
    RANGE_FIELDS,
    WHOLE_NUMBER_FIELDS,
    CommitteeRole,
    NotOursReason,
    SegmentField,
)
from romashka.discovery.models import (
    CategoryCost,
    ClientFigures,
    CommitteeMember,
    Interview,
    NotOurClient,
    RfmBounds,
    Segment,
    SegmentCondition,
)

# The name the interview invitations' touch standard starts with (the demo's and the one made on first use).
INTERVIEW_STANDARD_PREFIX = "Приглашение на интервью"


@dataclass
class ConditionSpec:
    field: str
    values: list[str] = field(default_factory=list)
    min_value: Decimal | None = None
    max_value: Decimal | None = None


@dataclass
class SegmentSpec:
    name: str
    conditions: list[ConditionSpec]
    description: str = ""


def decimal_or_none(text: str | None) -> Decimal | None:
    """A number typed by a user ("1 500,50" or "1500.5"); ValueError when it is not one."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return Decimal(str(text).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(str(text)) from exc


def _check_segment(spec: SegmentSpec, organisation: Organisation, segment: Segment | None) -> None:
    problems: dict[str, str] = {}
    if not spec.name.strip():
        problems["name"] = _("Give the segment a name.")
    elif (
        Segment.objects.filter(organisation=organisation, name=spec.name.strip())
        .exclude(pk=getattr(segment, "pk", None))
        .exists()
    ):
        problems["name"] = _("A segment with this name already exists.")
    if not 1 <= len(spec.conditions) <= MAX_CONDITIONS:
        problems["conditions"] = _("A segment has one to three characteristics (two or three describe it best).")
    seen: set[str] = set()
    for index, condition in enumerate(spec.conditions):
        where = f"conditions.{index}"
        if condition.field not in SegmentField.values:
            problems[f"{where}.field"] = _("Unknown characteristic %(field)s.") % {"field": condition.field}
            continue
        if condition.field in seen:
            problems[f"{where}.field"] = _("Each characteristic once; list several values in one condition.")
        seen.add(condition.field)
        if condition.field in RANGE_FIELDS:
            low, high = condition.min_value, condition.max_value
            if low is None and high is None:
                problems[f"{where}.min_value"] = _("Give a band: from, to or both.")
            elif any(v is not None and v < 0 for v in (low, high)):
                problems[f"{where}.min_value"] = _("A band cannot be negative.")
            elif low is not None and high is not None and low > high:
                problems[f"{where}.max_value"] = _("The band ends before it starts.")
            elif condition.field in WHOLE_NUMBER_FIELDS and any(
                v is not None and v != v.to_integral_value() for v in (low, high)
            ):
                problems[f"{where}.min_value"] = _("Ages and purchase days are whole numbers.")
        elif not [v for v in condition.values if v.strip()]:
            problems[f"{where}.values"] = _("Choose at least one value.")
    if problems:
        raise ValidationError(problems)


def _conditions_write(segment: Segment, conditions: list[ConditionSpec]) -> None:
    segment.conditions.all().delete()
    SegmentCondition.objects.bulk_create([
        SegmentCondition(
            segment=segment,
            position=index,
            field=c.field,
            values="" if c.field in RANGE_FIELDS else ", ".join(v.strip() for v in c.values if v.strip()),
            min_value=c.min_value if c.field in RANGE_FIELDS else None,
            max_value=c.max_value if c.field in RANGE_FIELDS else None,
        )
        for index, c in enumerate(conditions)
    ])


@transaction.atomic
def segment_create(*, organisation: Organisation, spec: SegmentSpec, user=None) -> Segment:
    _check_segment(spec, organisation, None)
    segment = Segment.objects.create(
        organisation=organisation, name=spec.name.strip(), description=spec.description.strip(), created_by=user
    )
    _conditions_write(segment, spec.conditions)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, spec: SegmentSpec) -> Segment:
    _check_segment(spec, segment.organisation, segment)
    segment.name = spec.name.strip()
    segment.description = spec.description.strip()
    segment.save(update_fields=["name", "description"])
    _conditions_write(segment, spec.conditions)
    return segment


def segment_delete(*, segment: Segment) -> None:
    segment.delete()


def not_ours_mark(
    *, organisation: Organisation, reason: str, party: Party | None = None, segment: Segment | None = None,
    note: str = "", user=None,
) -> NotOurClient:
    """Marks a party or a segment as not our client (again: the reason and note are replaced)."""
    if (party is None) == (segment is None):
        raise ValidationError({"party": _("Mark either a party or a segment.")})
    if reason not in NotOursReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    for owned in (party, segment):
        if owned is not None and owned.organisation_id != organisation.pk:
            raise ValidationError({"party": _("Not a party of this organisation.")})
    mark, _created = NotOurClient.objects.update_or_create(
        organisation=organisation, party=party, segment=segment,
        defaults={"reason": reason, "note": note.strip(), "marked_by": user},
    )
    return mark


def not_ours_unmark(*, mark: NotOurClient) -> None:
    mark.delete()


def segment_create_by(*, user, spec: SegmentSpec) -> Segment:
    scope = require(user, Capability.VIEW_DISCOVERY)
    return segment_create(organisation=Organisation.objects.get(pk=scope.organisation_id), spec=spec, user=user)


def segment_delete_checked(*, segment: Segment) -> None:
    """Deletes a segment unless a touch standard is limited to it (say which, so the user can change it)."""
    used = list(segment.touch_versions.values_list("name", flat=True).distinct())
    if used:
        raise ValidationError({"segment": _("Touch standards are limited to this segment: %(names)s.")
                               % {"names": ", ".join(used)}})
    segment.delete()


@transaction.atomic
def interview_record(*, organisation: Organisation, party: Party, interviewer, fields: dict) -> Interview:
    """A new interview; the job named in the client's words is kept, and linked to the job list when chosen."""
    if party.organisation_id != organisation.pk:
        raise ValidationError({"party": _("Not a client of this organisation.")})
    amount = fields.get("pays_more_amount")
    if amount is not None and amount < 0:
        raise ValidationError({"pays_more_amount": _("The amount cannot be negative.")})
    if fields.get("pays_more") is False and amount:
        raise ValidationError({"pays_more_amount": _("An amount only when the client would pay more.")})
    return Interview.objects.create(organisation=organisation, party=party, interviewer=interviewer, **fields)


@transaction.atomic
def committee_member_add(*, company: Party, name: str, role: str, position: str = "", email: str = "") -> CommitteeMember:
    """A person of a business client's buying committee, with an e-mail (consent from the contract) if given."""
    if company.form != PartyForm.COMPANY:
        raise ValidationError({"company": _("Buying committees are for business clients.")})
    if role not in CommitteeRole.values:
        raise ValidationError({"role": _("Choose a role.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the person's name.")})
    person = Party.objects.create(organisation_id=company.organisation_id, name=name.strip(), city=company.city)
    if email.strip():
        address = email.strip().lower()
        Channel.objects.create(party=person, kind=ChannelKind.EMAIL, value=email.strip(), normalized=address,
                               is_primary=True, consent_at=timezone.now(), consent_source=_("contract"))
    return CommitteeMember.objects.create(company=company, person=person, role=role, position=position.strip())


def interview_invitations_create(*, user, party_ids: list[int], on) -> dict[str, int]:
    """Interview tasks through the touch system: the chosen clients enter the standard "chosen from a list"
    named for interviews (made on first use: a call by the client's location manager)."""
    from romashka.touches import services as touches
    from romashka.touches.choices import ExecutorRule, TouchChannel, Trigger
    from romashka.touches.models import Standard

    scope = require(user, Capability.MANAGE_TOUCHES)
    organisation = Organisation.objects.get(pk=scope.organisation_id)
    standard = (Standard.objects.filter(organisation=organisation, trigger=Trigger.LIST,
                                        versions__name__startswith=INTERVIEW_STANDARD_PREFIX)
                .order_by("pk").first())
    if standard is None:
        standard = touches.standard_create(
            organisation=organisation, trigger=Trigger.LIST, valid_from=on, user=user,
            spec=touches.StandardSpec(name=INTERVIEW_STANDARD_PREFIX, control_share=Decimal(0), steps=[
                touches.StepSpec(channel=TouchChannel.CALL, title=_("Invite to an interview"),
                                 aims_at_purchase=False, executor_rule=ExecutorRule.LOCATION_MANAGER,
                                 template_ru="Здравствуйте, {name}! Можно задать вам несколько вопросов о том, "
                                             "зачем вы к нам приходите?",
                                 template_en="Hello {name}, may we ask you a few questions about why you come to us?")]))
    return touches.entries_from_list(standard=standard, party_ids=party_ids, on=on)


def list_standard_enter(*, user, standard_id: int, party_ids: list[int], on) -> dict[str, int]:
    """Puts chosen clients (an RFM cell) on a touch standard "chosen from a list" of the user's organisation."""
    from romashka.touches import services as touches
    from romashka.touches.choices import Trigger
    from romashka.touches.models import Standard

    scope = require(user, Capability.MANAGE_TOUCHES)
    standard = Standard.objects.filter(pk=standard_id, organisation_id=scope.organisation_id,
                                       trigger=Trigger.LIST).first()
    if standard is None:
        raise ValidationError({"standard": _("Choose a touch standard chosen from a list.")})
    return touches.entries_from_list(standard=standard, party_ids=party_ids, on=on)


def bounds_parse(text: str) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    """"7, 30, 90, 180" → four ascending numbers; empty → None; ValueError with a message otherwise."""
    if not text.strip():
        return None
    parts = [part for part in text.replace(";", " ").replace(",", " ").split() if part]
    try:
        numbers = [Decimal(part) for part in parts]
    except InvalidOperation:
        raise ValueError(_("Only numbers, separated by commas or spaces.")) from None
    if len(numbers) != 4:
        raise ValueError(_("Four numbers: the bounds between scores 1–2, 2–3, 3–4 and 4–5."))
    if any(n < 0 for n in numbers) or numbers != sorted(numbers) or len(set(numbers)) != 4:
        raise ValueError(_("The four numbers go up, none negative."))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def rfm_bounds_set(*, user, recency_days: str, frequency: str, monetary: str) -> RfmBounds:
    """The organisation's RFM bounds; an empty figure stays on quintiles."""
    scope = require(user, Capability.MANAGE_TOUCHES)
    problems: dict[str, str] = {}
    texts = {"recency_days": recency_days, "frequency": frequency, "monetary": monetary}
    for name, text in texts.items():
        try:
            parsed = bounds_parse(text)
        except ValueError as error:
            problems[name] = str(error)
        else:
            texts[name] = ", ".join(format(n.normalize(), "f") for n in parsed) if parsed else ""
    if problems:
        raise ValidationError(problems)
    bounds, _created = RfmBounds.objects.update_or_create(organisation_id=scope.organisation_id, defaults=texts)
    return bounds


# ---------------------------------------------------------------- costs and profit


def _cost_share(organisation_id: int):
    """SQL for the cost share (0–1) of a purchase by its category and location, None without a cost: a
    location's own share first, then the category's share for the network."""
    from django.db.models import Case, DecimalField, Q, Value, When

    rules = list(CategoryCost.objects.filter(organisation_id=organisation_id).values_list(
        "category", "location_id", "cost_percent"))
    if not rules:
        return None, Q(pk__in=[])
    share = DecimalField(max_digits=7, decimal_places=4)
    whens = [When(category=category, location_id=location_id, then=Value(percent / 100, output_field=share))
             for category, location_id, percent in rules if location_id is not None]
    whens += [When(category=category, then=Value(percent / 100, output_field=share))
              for category, location_id, percent in rules if location_id is None]
    network = {category for category, location_id, _percent in rules if location_id is None}
    covered = Q(category__in=network)
    for category, location_id, _percent in rules:
        if location_id is not None and category not in network:
            covered |= Q(category=category, location_id=location_id)
    return Case(*whens, default=Value(None), output_field=share), covered


@transaction.atomic
def client_figures_refresh(*, organisation_id: int, as_of) -> int:
    """Every client's ClientFigures as of `as_of` (the last status refresh, so they match its snapshot): two
    grouped passes over the purchases, the last two purchase cycles' and those of categories with a cost.

    Bought in a cycle: a positive receipt line in it (the last cycle is (as_of − cycle, as_of], the one before
    the cycle before it). A purchase's cost is its amount times its category's cost share (a refund gives its
    cost back); a purchase whose category has no cost (or no category) is in neither of the cost sums, and a
    client with no such purchase has none (null), not zero. Returns the number of clients written.
    """
    from django.db.models import DecimalField, ExpressionWrapper, F, Max, Min, Sum

    from romashka.path.models import Purchase

    ClientFigures.objects.filter(organisation_id=organisation_id).delete()
    cycle = timedelta(days=Organisation.objects.get(pk=organisation_id).default_cycle_days)
    purchases = Purchase.objects.filter(organisation_id=organisation_id, purchased_on__lte=as_of).order_by()
    figures: dict[int, dict] = {}
    recent = (purchases.filter(purchased_on__gt=as_of - 2 * cycle, amount__gt=0).values("party_id")
              .annotate(first=Min("purchased_on"), last=Max("purchased_on")))
    for row in recent.iterator(chunk_size=5000):
        figures[row["party_id"]] = {"bought_cycle_before": row["first"] <= as_of - cycle,
                                    "bought_last_cycle": row["last"] > as_of - cycle}
    share, covered = _cost_share(organisation_id)
    if share is not None:
        money = DecimalField(max_digits=20, decimal_places=6)
        costs = purchases.filter(covered).values("party_id").annotate(
            revenue=Sum("amount"), cost=Sum(ExpressionWrapper(F("amount") * share, output_field=money)))
        cent = Decimal("0.01")
        for row in costs.iterator(chunk_size=5000):
            figures.setdefault(row["party_id"], {}).update(
                costed_revenue=Decimal(row["revenue"]).quantize(cent), cost=Decimal(row["cost"]).quantize(cent))
    day = as_of.isoformat()
    return bulk_insert(  # COPY / executemany: the ORM's bulk_create took three times as long
        ClientFigures,
        ["organisation", "party", "as_of", "bought_last_cycle", "bought_cycle_before", "costed_revenue", "cost"],
        ((organisation_id, party_id, day, values.get("bought_last_cycle", False),
          values.get("bought_cycle_before", False), _text(values.get("costed_revenue")), _text(values.get("cost")))
         for party_id, values in figures.items()))


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _client_figures_rebuild(organisation_id: int) -> None:
    """The clients' figures again after a cost changed, as of the day they are shown for."""
    from romashka.discovery.selectors import figures_as_of

    client_figures_refresh(organisation_id=organisation_id, as_of=figures_as_of(organisation_id))


@transaction.atomic
def category_cost_set(*, user, category: str, location_id: int | None, cost_percent: str) -> CategoryCost:
    """Sets the cost share of a product category (for one location, or the network when none); the clients'
    known costs are rebuilt at once, so the segment table shows the new profit. ValidationError per field."""
    from romashka.core.access import locations_visible

    scope = require(user, Capability.MANAGE_SETTINGS)
    problems: dict[str, str] = {}
    category = (category or "").strip()
    if not category:
        problems["category"] = _("Choose the product category, as the receipts name it.")
    try:
        percent = decimal_or_none(cost_percent)
    except ValueError:
        percent = None
        problems["cost_percent"] = _("“%(value)s” is not a number: write the cost as a percentage of the price, "
                                     "e.g. 32 or 32,5.") % {"value": cost_percent}
    else:
        if percent is None:
            problems["cost_percent"] = _("Write the cost as a percentage of the price, e.g. 32.")
        elif not Decimal(0) <= percent <= Decimal(100):
            problems["cost_percent"] = _("The cost is a percentage of the price: from 0 to 100.")
        elif percent != percent.quantize(Decimal("0.01")):
            problems["cost_percent"] = _("At most two decimals, e.g. 32.25.")
    location = locations_visible(user).filter(pk=location_id).first() if location_id is not None else None
    if location_id is not None and location is None:
        problems["location"] = _("Choose one of your locations, or none for the whole network.")
    if problems:
        raise ValidationError(problems)
    cost, _created = CategoryCost.objects.update_or_create(
        organisation_id=scope.organisation_id, category=category, location=location,
        defaults={"cost_percent": percent})
    _client_figures_rebuild(scope.organisation_id)
    return cost


@transaction.atomic
def category_cost_delete(*, user, cost_id: int) -> None:
    scope = require(user, Capability.MANAGE_SETTINGS)
    deleted, _rows = CategoryCost.objects.filter(pk=cost_id, organisation_id=scope.organisation_id).delete()
    if deleted:
        _client_figures_rebuild(scope.organisation_id)
