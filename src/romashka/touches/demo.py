"""The demo network's touch system: standards from the product spec, half a year of entries with
their tasks done or cancelled, today's tasks, and a real effect planted for two standards.

Draws from its own seeded generator, so the rest of the demo stays exactly as it was.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction

from romashka.core.bulk import bulk_insert, utc_datetime_text
from romashka.core.models import Employee, Organisation
from romashka.path.models import Purchase, StatusEvent
from romashka.touches import services
from romashka.touches.choices import (
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
from romashka.touches.models import Entry, Message, Task
from romashka.touches.services import StandardSpec, StepSpec

SEED = 20261201
HISTORY_DAYS = 182
DEMO_SOURCE = "demo-pos"
# The share of treated clients who, thanks to the touch, buy within three weeks although they would not have.
PLANTED_EFFECT = {Trigger.DORMANT: 0.12, Trigger.LOST: 0.06}


def demo_standards() -> list[tuple[str, StandardSpec]]:
    """'A novice gets a thank-you the next day and an offer on day 7; a dormant client a wake-up call when
    the cycle runs out; a lost one a return offer and the question why they left.'"""
    manager, waiter = ExecutorRule.LOCATION_MANAGER, ExecutorRule.POSITION
    return [
        (Trigger.NOVICE, StandardSpec(name="Новичок: спасибо и предложение на 7-й день", conversion_days=30, steps=[
            StepSpec(channel=TouchChannel.SMS, title="Спасибо за первый визит", delay_days=1, aims_at_purchase=False,
                     template_ru="{name}, спасибо, что заглянули в «{location}»! Будем рады видеть вас снова.",
                     template_en="{name}, thank you for visiting {location}! We look forward to seeing you again."),
            StepSpec(channel=TouchChannel.CALL, title="Предложение на 7-й день", delay_days=7,
                     executor_rule=waiter, executor_position="Официант", offer="блин с вишней в подарок",
                     template_ru="Здравствуйте, {name}! Это «{location}». Вы были у нас {last_purchase}. "
                                 "Для вас на этой неделе: {offer}. Когда вам удобно зайти?",
                     template_en="Hello {name}, this is {location}. You visited us on {last_purchase}. "
                                 "This week we have {offer} for you. When would suit you?"),
        ])),
        (Trigger.FAN, StandardSpec(name="Поклонник: благодарность", conversion_days=30, steps=[
            StepSpec(channel=TouchChannel.MESSENGER, title="Спасибо постоянному гостю", delay_days=1,
                     aims_at_purchase=False, offer="десерт в подарок к следующему заказу",
                     template_ru="{name}, вы теперь наш постоянный гость! В знак благодарности — {offer}.",
                     template_en="{name}, you are one of our regulars now! As a thank-you: {offer}."),
        ])),
        (Trigger.DORMANT, StandardSpec(name="Заснувший: звонок, когда цикл истёк", conversion_days=30, steps=[
            StepSpec(channel=TouchChannel.CALL, title="Звонок-напоминание", delay_days=0,
                     delay_basis=DelayBasis.CYCLE, executor_rule=manager, offer="скидка 15% на завтрак",
                     template_ru="Здравствуйте, {name}! Давно вас не видели в «{location}» — последний раз "
                                 "{last_purchase}. Приходите: {offer}.",
                     template_en="Hello {name}, we have not seen you at {location} since {last_purchase}. "
                                 "Come back: {offer}."),
            StepSpec(channel=TouchChannel.SMS, title="Предложение вернуться", delay_days=5,
                     offer="скидка 15% на завтрак",
                     template_ru="{name}, скучаем! В «{location}» для вас {offer} до конца недели.",
                     template_en="{name}, we miss you! {offer} at {location} until the end of the week."),
        ])),
        (Trigger.LOST, StandardSpec(name="Возвращенец: предложение и вопрос, почему ушёл", conversion_days=45, steps=[
            StepSpec(channel=TouchChannel.CALL, title="Почему вы ушли?", delay_days=2, executor_rule=manager,
                     asks_leaving_reason=True, offer="завтрак на двоих со скидкой 30%",
                     template_ru="Здравствуйте, {name}! Это управляющий «{location}». Вы не были у нас с "
                                 "{last_purchase}. Подскажите, что нам улучшить? Для вас — {offer}.",
                     template_en="Hello {name}, the manager of {location} speaking. You have not been with us since "
                                 "{last_purchase}. What should we improve? For you: {offer}."),
            StepSpec(channel=TouchChannel.EMAIL, title="Предложение вернуться", delay_days=10,
                     offer="завтрак на двоих со скидкой 30%",
                     template_ru="{name}, мы многое изменили в «{location}». Ждём вас: {offer}.",
                     template_en="{name}, a lot has changed at {location}. Come and see: {offer}."),
        ])),
        (Trigger.WON_BACK, StandardSpec(name="Вернувшийся: рады снова видеть", conversion_days=30, steps=[
            StepSpec(channel=TouchChannel.CALL, title="Спасибо, что вернулись", delay_days=3, aims_at_purchase=False,
                     executor_rule=manager,
                     template_ru="{name}, спасибо, что снова с нами! Всё ли понравилось в «{location}»?",
                     template_en="{name}, thank you for coming back! Did you enjoy {location}?"),
        ])),
        (Trigger.AT_RISK, StandardSpec(name="Поклонник под угрозой: звонок управляющего", conversion_days=30, steps=[
            StepSpec(channel=TouchChannel.CALL, title="Звонок постоянному гостю, который пропал", delay_days=0,
                     executor_rule=manager, offer="любимый блин за счёт заведения",
                     template_ru="{name}, давно вас не видели в «{location}». Всё ли в порядке? Для вас — {offer}.",
                     template_en="{name}, we have not seen you at {location} for a while. Is all well? For you: {offer}."),
        ])),
        (Trigger.LEAD, StandardSpec(name="Лид: приглашение на первый визит", conversion_days=30, steps=[
            StepSpec(channel=TouchChannel.SMS, title="Приглашение", delay_days=0, offer="кофе в подарок к первому заказу",
                     template_ru="{name}, ждём вас в «{location}»: {offer}.",
                     template_en="{name}, we are waiting for you at {location}: {offer}."),
        ])),
    ]


def _planted_purchases(org: Organisation, rng, until: date) -> int:
    """Extra purchases of some treated clients of the standards with a planted effect, in their window."""
    rows = []
    for trigger, share in PLANTED_EFFECT.items():
        treated = list(Entry.objects.filter(organisation=org, standard__trigger=trigger, group=Group.TREATED,
                                            entered_on__lt=until - timedelta(days=3))
                       .values_list("party_id", "entered_on", "location_id"))
        if not treated:
            continue
        chosen = rng.random(len(treated)) < share
        offsets = rng.integers(3, 21, size=len(treated))
        amounts = np.round(rng.gamma(4.0, 180.0, size=len(treated)), 2)
        for index in np.flatnonzero(chosen):
            party_id, entered_on, location_id = treated[index]
            day = min(entered_on + timedelta(days=int(offsets[index])), until)
            rows.append((party_id, location_id, day, amounts[index], f"touch-{trigger}-{party_id}-{entered_on}"))
    if not rows:
        return 0
    zone = ZoneInfo(org.time_zone)
    moments = np.array([datetime.combine(day, time(13, 0), zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
                        for _p, _l, day, _a, _r in rows], dtype="datetime64[s]")
    stamps = utc_datetime_text(moments)
    return bulk_insert(
        Purchase, ["organisation", "party", "location", "occurred_at", "purchased_on", "amount", "source",
                   "receipt_ref", "category"],
        ((org.pk, party_id, location_id, stamp, day.isoformat(), f"{amount:.2f}", DEMO_SOURCE, ref, "")
         for (party_id, location_id, day, amount, ref), stamp in zip(rows, stamps, strict=True)),
    )


def _history_resolve(org: Organisation, rng, until: date, tasks: list[dict]) -> None:
    """Past tasks as a team would have left them, settled before they are written: cancelled when the
    client bought or moved on first, otherwise done with an outcome (and a reason for leaving when a
    lost client was reached). A few of the last days' calls stay open: overdue on the manager's page."""
    past = [t for t in tasks if t["state"] == TaskState.OPEN and t["due_on"] < until]
    if not past:
        return
    start = until - timedelta(days=HISTORY_DAYS + 1)
    span = 1 << 22
    purchase_keys = np.sort(np.fromiter(
        (p * span + d.toordinal() for p, d in Purchase.objects.filter(organisation=org, purchased_on__gt=start)
         .values_list("party_id", "purchased_on").distinct().iterator(chunk_size=20_000)), dtype=np.int64))
    event_keys = np.sort(np.fromiter(
        (p * span + d.toordinal() for p, d in StatusEvent.objects.filter(organisation=org, changed_on__gt=start)
         .values_list("party_id", "changed_on").iterator(chunk_size=20_000)), dtype=np.int64))
    party = np.array([t["party"] for t in past], dtype=np.int64)
    entered = np.array([t["entered_on"].toordinal() for t in past], dtype=np.int64)
    due = np.array([t["due_on"].toordinal() for t in past], dtype=np.int64)

    def any_between(keys):  # a key of the same party in (entered, due]
        first = np.searchsorted(keys, party * span + entered + 1, side="left")
        last = np.searchsorted(keys, party * span + due, side="right")
        return last > first

    bought, moved = any_between(purchase_keys), any_between(event_keys)
    stay_open = rng.random(len(past)) < 0.3
    outcome_draw = rng.random(len(past))
    reasons = rng.choice(list(LeavingReason.values), size=len(past), p=[0.27, 0.18, 0.2, 0.12, 0.13, 0.06, 0.04])
    hours = rng.integers(10, 20, size=len(past))
    users = dict(Employee.objects.filter(party__organisation=org, user__isnull=False).values_list("pk", "user_id"))
    zone = ZoneInfo(org.time_zone)
    outcomes = [Outcome.REACHED, Outcome.NO_ANSWER, Outcome.REFUSED, Outcome.WILL_COME]
    cumulative = np.cumsum([0.5, 0.28, 0.07, 0.15])
    recent = until - timedelta(days=3)
    for index, task in enumerate(past):
        if task["aims_at_purchase"] and bought[index]:
            task.update(state=TaskState.CANCELLED, cancel_reason=CancelReason.CLIENT_BOUGHT, cancelled_on=task["due_on"])
        elif moved[index]:
            task.update(state=TaskState.CANCELLED, cancel_reason=CancelReason.LEFT_STATUS, cancelled_on=task["due_on"])
        elif task["due_on"] >= recent and stay_open[index] and task["channel"] not in SENT_CHANNELS:
            continue
        else:
            task.update(state=TaskState.DONE, done_by=users.get(task["executor"]),
                        done_at=datetime.combine(task["due_on"], time(int(hours[index]), 15), zone))
            if task["channel"] in SENT_CHANNELS:
                task["outcome"] = Outcome.SENT
            else:
                task["outcome"] = outcomes[min(int(np.searchsorted(cumulative, outcome_draw[index])), 3)]
                if task["asks_leaving_reason"] and task["outcome"] == Outcome.REACHED:
                    task["leaving_reason"] = str(reasons[index])


def _history_messages(org: Organisation) -> int:
    """The messages the history's sent touches went out as: e-mails sent, SMS and messenger in the outbox."""
    from romashka.core.models import Channel

    sent = list(Task.objects.filter(organisation=org, outcome=Outcome.SENT).values_list(
        "pk", "party_id", "channel", "party__name", "location__name", "step__template_ru", "step__offer",
        "party__status_snapshot__last_purchase", "done_at"))
    if not sent:
        return 0
    addresses: dict[tuple[int, str], str] = {}
    for party_id, kind, normalized in (Channel.objects.filter(party__organisation=org, consent_at__isnull=False)
                                       .order_by("is_primary").values_list("party_id", "kind", "normalized")):
        addresses[(party_id, kind)] = normalized
    kinds = {TouchChannel.EMAIL: "email", TouchChannel.SMS: "phone", TouchChannel.MESSENGER: "messenger"}
    moments = np.array([done.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) for *_rest, done in sent],
                       dtype="datetime64[s]")
    stamps = utc_datetime_text(moments)

    def rows():
        for (pk, party_id, channel, name, location, template, offer, last, _done), stamp in zip(sent, stamps,
                                                                                                 strict=True):
            values = services.message_values(name=name, last_purchase=last, location=location, offer=offer)
            yield (org.pk, pk, party_id, channel, addresses.get((party_id, kinds[channel]), ""),
                   services.render_template(template, values),
                   MessageState.SENT if channel == TouchChannel.EMAIL else MessageState.OUTBOX, "", "demo", stamp)

    return bulk_insert(Message, ["organisation", "task", "party", "channel", "address", "body", "state", "reason",
                                 "sender", "created_at"], rows())


@transaction.atomic
def demo_touches_create(*, organisation: Organisation, until: date, plant_effect: bool = True) -> dict[str, int]:
    """Standards, half a year of their entries and tasks, and today's open tasks; returns counts.

    `plant_effect` adds the purchases a working touch would have brought (PLANTED_EFFECT), so the
    uplift page has a real effect to find; without it treated and control differ by chance only.
    """
    from romashka.path.refresh import status_refresh_logged

    rng = np.random.default_rng(SEED)
    responsible = get_user_model().objects.filter(membership__organisation=organisation,
                                                  username="crm").first()
    valid_from = until - timedelta(days=HISTORY_DAYS)
    for trigger, spec in demo_standards():
        spec.responsible_id = responsible.pk if responsible else None
        services.standard_create(organisation=organisation, trigger=trigger, spec=spec, valid_from=valid_from)
    _counts, tasks = services.entries_create(organisation=organisation, as_of=until, since=valid_from,
                                             only_current=False)
    planted = _planted_purchases(organisation, rng, until) if plant_effect else 0
    if planted:
        status_refresh_logged(organisation=organisation, as_of=until)
    _history_resolve(organisation, rng, until, tasks)
    services.tasks_insert(tasks)
    _history_messages(organisation)
    services.tasks_cancel_obsolete(organisation=organisation, as_of=until)
    return {
        "touch entries": Entry.objects.filter(organisation=organisation).count(),
        "touch tasks": Task.objects.filter(organisation=organisation).count(),
        "planted purchases": planted,
    }

