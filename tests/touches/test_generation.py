"""Entries and tasks from status events: idempotent, control clients untouched, cancelled when the
client acts first, consent respected, messages through the e-mail backend and the pluggable sender."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from romashka.core.models import Channel, Organisation
from romashka.path.models import Purchase, StatusSnapshot
from romashka.path.refresh import status_refresh_logged
from romashka.touches import services
from romashka.touches.choices import (
    CancelReason,
    Group,
    MessageState,
    Outcome,
    TaskState,
    TouchChannel,
    Trigger,
)
from romashka.touches.models import DailyRun, Entry, Message, Standard, Task

pytestmark = pytest.mark.django_db

DEMO_UNTIL = date(2026, 11, 23)  # tests/conftest.py


@pytest.fixture
def org(demo_network):
    return Organisation.objects.get()


def test_the_demo_has_a_standard_per_entry_and_half_a_year_of_entries(org):
    assert set(Standard.objects.values_list("trigger", flat=True)) == set(Trigger.values)
    entries = Entry.objects.filter(organisation=org)
    assert entries.filter(entered_on__lt=DEMO_UNTIL - timedelta(days=90)).exists()
    assert Task.objects.filter(state=TaskState.DONE).exclude(outcome=Outcome.SENT).exists()


def test_generating_twice_creates_nothing_new(org):
    since = DEMO_UNTIL - timedelta(days=182)
    Entry.objects.all().delete()
    first = services.entries_generate(organisation=org, as_of=DEMO_UNTIL, since=since, only_current=False)
    entries, tasks = Entry.objects.count(), Task.objects.count()
    assert first["entries"] == entries > 100 and first["tasks"] == tasks > 100

    again = services.entries_generate(organisation=org, as_of=DEMO_UNTIL, since=since, only_current=False)
    assert again["entries"] == again["tasks"] == 0
    assert (Entry.objects.count(), Task.objects.count()) == (entries, tasks)


def test_generation_survives_a_status_refresh_that_replaces_every_event(org):
    before = set(Entry.objects.values_list("party_id", "standard_id", "entered_on", "group"))
    status_refresh_logged(organisation=org, as_of=DEMO_UNTIL)  # new StatusEvent ids for the same events
    counts = services.entries_generate(organisation=org, as_of=DEMO_UNTIL, since=DEMO_UNTIL - timedelta(days=182),
                                       only_current=False)
    assert counts["entries"] == 0
    assert set(Entry.objects.values_list("party_id", "standard_id", "entered_on", "group")) == before


def test_control_clients_get_no_task_and_no_message(org):
    control = Entry.objects.filter(group=Group.CONTROL)
    share = control.count() / Entry.objects.count()
    assert 0.05 < share < 0.16  # 10% by default, drawn per entry
    assert not Task.objects.filter(entry__group=Group.CONTROL).exists()
    Task.objects.filter(state=TaskState.OPEN).update(due_on=DEMO_UNTIL)
    services.messages_send_due(organisation=org, as_of=DEMO_UNTIL)
    control_parties = set(control.values_list("party_id", flat=True))
    treated_parties = set(Entry.objects.filter(group=Group.TREATED).values_list("party_id", flat=True))
    only_control = control_parties - treated_parties
    assert only_control
    assert not Message.objects.filter(party_id__in=only_control).exists()


def test_control_assignment_is_reproducible_and_recorded():
    day = DEMO_UNTIL
    draws = [services.in_control(party_id=p, standard_id=3, entered_on=day, share=Decimal("0.1")) for p in range(5000)]
    assert draws == [services.in_control(party_id=p, standard_id=3, entered_on=day, share=0.1) for p in range(5000)]
    assert 0.085 < sum(draws) / 5000 < 0.115
    other = [services.in_control(party_id=p, standard_id=4, entered_on=day, share=0.1) for p in range(5000)]
    assert draws != other  # per standard, not one control group for everything


def _open_task(org, *, aims_at_purchase: bool) -> Task:
    task = (Task.objects.filter(organisation=org, step__aims_at_purchase=aims_at_purchase,
                                entry__group=Group.TREATED).select_related("entry").order_by("pk").first())
    Task.objects.filter(pk=task.pk).update(state=TaskState.OPEN, outcome="", leaving_reason="", cancel_reason="",
                                           cancelled_on=None, due_on=DEMO_UNTIL + timedelta(days=3))
    Message.objects.filter(task=task).delete()
    StatusSnapshot.objects.filter(party_id=task.party_id).update(
        status=task.entry.status, status_since=task.entry.entered_on, last_purchase=task.entry.entered_on)
    return Task.objects.get(pk=task.pk)


def test_a_purchase_aimed_task_is_cancelled_when_the_client_buys_first(org):
    task = _open_task(org, aims_at_purchase=True)
    StatusSnapshot.objects.filter(party_id=task.party_id).update(last_purchase=task.entry.entered_on + timedelta(days=1))

    counts = services.tasks_cancel_obsolete(organisation=org, as_of=DEMO_UNTIL)

    task.refresh_from_db()
    assert (task.state, task.cancel_reason, task.cancelled_on) == (TaskState.CANCELLED, CancelReason.CLIENT_BOUGHT,
                                                                   DEMO_UNTIL)
    assert counts["cancelled_bought"] >= 1
    assert services.tasks_cancel_obsolete(organisation=org, as_of=DEMO_UNTIL) == {"cancelled_bought": 0,
                                                                                   "cancelled_left": 0}


def test_a_thank_you_stays_after_a_purchase_but_goes_when_the_client_leaves_the_status(org):
    task = _open_task(org, aims_at_purchase=False)
    StatusSnapshot.objects.filter(party_id=task.party_id).update(last_purchase=task.entry.entered_on + timedelta(days=1))
    services.tasks_cancel_obsolete(organisation=org, as_of=DEMO_UNTIL)
    task.refresh_from_db()
    assert task.state == TaskState.OPEN

    StatusSnapshot.objects.filter(party_id=task.party_id).update(status="lost" if task.entry.status != "lost" else "fan")
    services.tasks_cancel_obsolete(organisation=org, as_of=DEMO_UNTIL)
    task.refresh_from_db()
    assert (task.state, task.cancel_reason) == (TaskState.CANCELLED, CancelReason.LEFT_STATUS)


def test_a_real_purchase_and_refresh_cancel_the_offer(org):
    task = _open_task(org, aims_at_purchase=True)
    status_refresh_logged(organisation=org, as_of=DEMO_UNTIL)
    Task.objects.filter(pk=task.pk).update(state=TaskState.OPEN, cancel_reason="", cancelled_on=None)
    day = DEMO_UNTIL
    Purchase.objects.create(organisation=org, party_id=task.party_id, location_id=task.location_id,
                            occurred_at=timezone.now() - timedelta(days=(timezone.localdate() - day).days),
                            purchased_on=day, amount=Decimal("450.00"), receipt_ref="touch-test-1")
    status_refresh_logged(organisation=org, as_of=DEMO_UNTIL)
    services.tasks_cancel_obsolete(organisation=org, as_of=DEMO_UNTIL)
    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED
    assert task.cancel_reason in (CancelReason.CLIENT_BOUGHT, CancelReason.LEFT_STATUS)


def _sms_task(org, *, consent: bool, channel: str = TouchChannel.SMS) -> Task:
    task = _open_task(org, aims_at_purchase=False)
    Task.objects.filter(pk=task.pk).update(channel=channel, due_on=DEMO_UNTIL)
    kind = "email" if channel == TouchChannel.EMAIL else "phone"
    Channel.objects.filter(party_id=task.party_id).delete()
    Channel.objects.create(party_id=task.party_id, kind=kind, value="x", is_primary=True,
                           normalized="guest@example.com" if kind == "email" else "+79990000000",
                           consent_at=timezone.now() - timedelta(days=30),
                           consent_withdrawn_at=None if consent else timezone.now() - timedelta(days=1))
    Task.objects.filter(organisation=org, state=TaskState.OPEN, due_on__lte=DEMO_UNTIL).exclude(pk=task.pk).update(
        due_on=DEMO_UNTIL + timedelta(days=30))
    return task


def test_no_message_without_consent_and_the_reason_is_logged(org):
    task = _sms_task(org, consent=False)
    counts = services.messages_send_due(organisation=org, as_of=DEMO_UNTIL)
    task.refresh_from_db()
    assert counts["skipped"] == 1 and counts["outbox"] == 0
    assert (task.state, task.cancel_reason) == (TaskState.CANCELLED, CancelReason.NO_CONSENT)
    message = Message.objects.get(task=task)
    assert message.state == MessageState.SKIPPED and message.reason


def test_sms_with_consent_goes_to_the_outbox_once(org):
    task = _sms_task(org, consent=True)
    assert services.messages_send_due(organisation=org, as_of=DEMO_UNTIL)["outbox"] == 1
    message = Message.objects.get(task=task)
    assert message.state == MessageState.OUTBOX and message.address == "+79990000000"
    assert "{" not in message.body and message.body
    task.refresh_from_db()
    assert (task.state, task.outcome) == (TaskState.DONE, Outcome.SENT)
    assert services.messages_send_due(organisation=org, as_of=DEMO_UNTIL)["outbox"] == 0


def test_email_goes_through_djangos_mail_backend(org):
    mail.outbox = []
    task = _sms_task(org, consent=True, channel=TouchChannel.EMAIL)
    assert services.messages_send_due(organisation=org, as_of=DEMO_UNTIL)["sent"] == 1
    assert [m.to for m in mail.outbox] == [["guest@example.com"]]
    assert Message.objects.get(task=task).state == MessageState.SENT


class RecordingSender:
    name = "recording"
    sent: list = []

    def send(self, messages):
        RecordingSender.sent.extend(messages)
        return [MessageState.SENT for _ in messages]


def test_the_sms_sender_is_pluggable(org, settings):
    settings.ROMASHKA_MESSAGE_SENDER = f"{__name__}.RecordingSender"
    RecordingSender.sent = []
    task = _sms_task(org, consent=True)
    services.messages_send_due(organisation=org, as_of=DEMO_UNTIL)
    assert [m.address for m in RecordingSender.sent] == ["+79990000000"]
    assert Message.objects.get(task=task).sender == "recording"


def test_the_daily_run_twice_a_day_does_nothing_more(org):
    first = services.daily_run(organisation=org, today=DEMO_UNTIL, refresh=False)
    tasks, messages = Task.objects.count(), Message.objects.count()
    second = services.daily_run(organisation=org, today=DEMO_UNTIL, refresh=False)
    assert first["skipped"] is False and second["skipped"] is True
    assert (Task.objects.count(), Message.objects.count()) == (tasks, messages)
    assert DailyRun.objects.filter(day=DEMO_UNTIL).count() == 1


def test_a_standard_for_fans_at_risk_enters_each_one_once_on_the_day_it_was_found_at_risk(org):
    from romashka.planning.models import ClvPrediction
    from romashka.planning.services import AT_RISK_BELOW, clv_refresh

    standard = Standard.objects.get(trigger=Trigger.AT_RISK)
    at_risk = ClvPrediction.objects.filter(party__status_snapshot__status="fan", p_alive__lt=AT_RISK_BELOW)
    assert at_risk.exists() and not at_risk.filter(at_risk_since__isnull=True).exists()
    assert not ClvPrediction.objects.filter(at_risk_since__isnull=False, p_alive__gte=AT_RISK_BELOW).exists()
    Entry.objects.filter(standard=standard).delete()
    services.entries_generate(organisation=org, as_of=DEMO_UNTIL)
    entries = Entry.objects.filter(standard=standard)
    assert set(entries.values_list("party_id", "entered_on")) == set(at_risk.values_list("party_id", "at_risk_since"))
    assert set(entries.values_list("status", flat=True)) == {"fan"}
    # The next day's refit keeps the day they were first found at risk: no second entry.
    clv_refresh(organisation=org, as_of=DEMO_UNTIL + timedelta(days=1))
    assert set(at_risk.values_list("at_risk_since", flat=True)) <= {DEMO_UNTIL}
    again = services.entries_generate(organisation=org, as_of=DEMO_UNTIL + timedelta(days=1))
    assert not Entry.objects.filter(standard=standard).exclude(entered_on=DEMO_UNTIL).exists()
    assert again["entries"] == Entry.objects.filter(entered_on=DEMO_UNTIL + timedelta(days=1)).count()
    treated = entries.filter(group="treated")
    assert Task.objects.filter(entry__in=treated).count() == treated.count()  # one call each
