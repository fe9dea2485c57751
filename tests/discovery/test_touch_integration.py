"""Discovery in the touch system: standards limited to a segment, not-our clients never entered, steps for
a buying-committee role sent to that member, and clients put on a standard from a list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from romashka.core.models import Channel
from romashka.discovery.models import CommitteeMember
from romashka.discovery.services import ConditionSpec, SegmentSpec, not_ours_mark, segment_create
from romashka.path.models import StatusEvent
from romashka.touches import services
from romashka.touches.choices import TouchChannel, Trigger
from romashka.touches.models import Entry, Message, Task

from .builders import company_create, guest_create, organisation_create, snapshot_create

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 1)


@pytest.fixture
def network():
    org = organisation_create()
    parties = {
        "anna": guest_create(org, "Анна", city="Москва"),
        "boris": guest_create(org, "Борис", city="Москва"),
        "dina": guest_create(org, "Дина", city="Казань"),
        "office": company_create(org, "ООО «Вектор»", city="Москва"),
    }
    for party in parties.values():
        snapshot_create(party, status="novice", purchase_days=1, monetary="500", last_purchase=DAY)
        StatusEvent.objects.create(organisation=org, party=party, changed_on=DAY, from_status=None, to_status="novice")
    return org, parties


def _standard(org, trigger=Trigger.NOVICE, segment=None, steps=None):
    spec = services.StandardSpec(
        name="Новичкам", control_share=0, segment_id=segment.pk if segment else None,
        steps=steps or [services.StepSpec(channel=TouchChannel.IN_PERSON, title="Поздороваться", template_ru="Привет")],
    )
    return services.standard_create(organisation=org, trigger=trigger, spec=spec, valid_from=DAY - timedelta(days=30))


def _entered(standard) -> set[str]:
    return set(Entry.objects.filter(standard=standard).values_list("party__name", flat=True))


def test_a_standard_limited_to_a_segment_enters_only_its_clients_and_never_a_not_ours(network):
    org, parties = network
    moscow = segment_create(organisation=org, spec=SegmentSpec(name="Москва", conditions=[
        ConditionSpec("city", ["Москва"]), ConditionSpec("status", ["novice"])]))
    for_moscow = _standard(org, segment=moscow)
    for_all = _standard(org)
    not_ours_mark(organisation=org, party=parties["boris"], reason="conflict")
    services.entries_generate(organisation=org, as_of=DAY, only_current=False)
    assert _entered(for_moscow) == {"Анна", "ООО «Вектор»"}
    assert _entered(for_all) == {"Анна", "Дина", "ООО «Вектор»"}


def test_a_segment_of_another_organisation_is_refused(network):
    org, _parties = network
    other = organisation_create("Другая")
    foreign = segment_create(organisation=other, spec=SegmentSpec(name="x", conditions=[ConditionSpec("city", ["a"])]))
    with pytest.raises(ValidationError) as refused:
        _standard(org, segment=foreign)
    assert "segment_id" in refused.value.message_dict


def test_a_step_for_a_committee_role_goes_to_that_member_with_its_own_message(network):
    org, parties = network
    director = guest_create(org, "Директор Иванов")
    it_head = guest_create(org, "ИТ Петров")
    CommitteeMember.objects.create(company=parties["office"], person=director, role="decision_maker")
    CommitteeMember.objects.create(company=parties["office"], person=it_head, role="technical_buyer")
    for person, address in ((director, "boss@vector.example"), (it_head, "it@vector.example")):
        Channel.objects.create(party=person, kind="email", value=address, normalized=address, consent_at=timezone.now())
    standard = _standard(org, steps=[
        services.StepSpec(channel=TouchChannel.EMAIL, title="Деньги", template_ru="Экономия 20% на обедах",
                          committee_role="decision_maker"),
        services.StepSpec(channel=TouchChannel.EMAIL, title="Интеграция", template_ru="Заказы через API",
                          committee_role="technical_buyer"),
        services.StepSpec(channel=TouchChannel.EMAIL, title="Покупатель", template_ru="Для закупщика",
                          committee_role="economic_buyer"),  # no such member: not planned
    ])
    services.entries_generate(organisation=org, as_of=DAY, only_current=False)
    # Only the company has a committee; persons get no role steps at all.
    assert set(Task.objects.filter(entry__standard=standard).values_list("party__name", "step__title")) == {
        ("ООО «Вектор»", "Деньги"), ("ООО «Вектор»", "Интеграция")}
    services.messages_send_due(organisation=org, as_of=DAY)
    sent = dict(Message.objects.filter(organisation=org).values_list("address", "body"))
    assert sent == {"boss@vector.example": "Экономия 20% на обедах", "it@vector.example": "Заказы через API"}


def test_clients_from_a_list_enter_once_and_their_tasks_survive_the_status_check(network):
    org, parties = network
    interviews = _standard(org, trigger=Trigger.LIST)
    chosen = [parties["anna"].pk, parties["dina"].pk]
    counts = services.entries_from_list(standard=interviews, party_ids=chosen, on=DAY + timedelta(days=3))
    assert counts["entries"] == 2 and counts["tasks"] == 2
    again = services.entries_from_list(standard=interviews, party_ids=chosen, on=DAY + timedelta(days=3))
    assert again["entries"] == 0
    services.tasks_cancel_obsolete(organisation=org, as_of=DAY + timedelta(days=4))
    assert Task.objects.filter(entry__standard=interviews, state="open").count() == 2
    # Generation from status events never enters anyone into a list standard.
    services.entries_generate(organisation=org, as_of=DAY, only_current=False)
    assert Entry.objects.filter(standard=interviews).count() == 2


def test_only_a_list_standard_takes_clients_by_hand(network):
    org, parties = network
    with pytest.raises(ValidationError):
        services.entries_from_list(standard=_standard(org), party_ids=[parties["anna"].pk], on=DAY)


def test_a_call_for_a_committee_role_names_the_member_on_the_executors_card(network, client):
    from romashka.core.models import Department, Employee
    from romashka.core.services import user_create

    from .builders import location_create

    org, parties = network
    location = location_create(org, "MSK-01")
    parties["office"].home_location = location
    parties["office"].save()
    seller = user_create(organisation=org, username="seller", password="x-Passw0rd!", role="employee",
                         location=location)
    staff = Employee.objects.create(
        party=guest_create(org, "Продавцов Пётр"), user=seller, location=location, position="Менеджер B2B",
        department=Department.objects.create(organisation=org, code="b2b", name="B2B"), hired_on=DAY)
    CommitteeMember.objects.create(company=parties["office"], person=guest_create(org, "Громов Иван"),
                                   role="economic_buyer")
    _standard(org, steps=[services.StepSpec(
        channel=TouchChannel.CALL, title="Финансисту: бюджет", template_ru="Бюджет на завтраки",
        committee_role="economic_buyer", executor_rule="named", executor_employee_id=staff.pk)])
    # A call needs the phone's consent of the company; the member is who the executor asks for.
    Channel.objects.create(party=parties["office"], kind="phone", value="+70000000001", normalized="+70000000001",
                           consent_at=timezone.now())
    services.entries_generate(organisation=org, as_of=DAY, only_current=False)
    client.force_login(seller)
    page = client.get("/tasks/").content.decode()
    card = page[page.index('data-testid="task-committee"'):]
    assert "Громов Иван" in card[:300]
