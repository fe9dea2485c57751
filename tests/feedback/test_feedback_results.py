"""Results on hand-built answers in an organisation of their own: NPS with its interval by location and month,
eNPS hidden below five answers, the internal service matrix, the dragging stage, the link; pages, API, exports."""

import csv
import io
import math
from datetime import date
from decimal import Decimal

import pytest

from romashka.core.access import ROLE_CAPABILITIES, Scope
from romashka.core.choices import Ownership, PartyKind, Role
from romashka.core.models import Department, Location, Organisation, Party, PartyRole
from romashka.core.services import user_create
from romashka.feedback import selectors
from romashka.feedback.choices import SurveyKind
from romashka.feedback.models import Answer, JourneyStage, ServiceRating, StageRating, Survey, Wave

AS_OF = date(2026, 3, 20)
MARCH, FEBRUARY = date(2026, 3, 1), date(2026, 2, 1)
Z = 1.959963984540054


@pytest.fixture
def shop(db):
    """Two locations (A own, B a partner's), two departments, surveys and a wave of each kind."""
    org = Organisation.objects.create(name="Test shop")
    partner = Party.objects.create(organisation=org, name="Partner Ltd")
    PartyRole.objects.create(party=partner, kind=PartyKind.FRANCHISE_PARTNER)
    a = Location.objects.create(organisation=org, code="A", name="Alpha", city="X")
    b = Location.objects.create(organisation=org, code="B", name="Beta", city="X", ownership=Ownership.FRANCHISE,
                                partner=partner)
    kitchen = Department.objects.create(organisation=org, code="kitchen", name="Kitchen")
    hall = Department.objects.create(organisation=org, code="hall", name="Hall")
    surveys = {kind: Survey.objects.create(organisation=org, kind=kind, name=kind) for kind in SurveyKind.values}
    waves = {kind: Wave.objects.create(survey=s, scheduled_on=FEBRUARY, expires_on=AS_OF) for kind, s in surveys.items()}
    guest = Party.objects.create(organisation=org, name="Guest", home_location=a)
    for username, role, extra in (("o_owner", Role.OWNER, {}), ("o_hr", Role.HR, {}),
                                  ("o_partner", Role.FRANCHISE_PARTNER, {"partner": partner}),
                                  ("o_manager", Role.LOCATION_MANAGER, {"location": a}),
                                  ("o_staff", Role.EMPLOYEE, {"location": a}), ("o_crm", Role.CRM_MANAGER, {})):
        user_create(organisation=org, username=username, password="pw-romashka-1", role=role, **extra)

    def answers(kind, location, month, scores, department=None, satisfaction=None):
        rows = Answer.objects.bulk_create([
            Answer(organisation=org, survey=surveys[kind], wave=waves[kind], kind=kind, month=month, location=location,
                   department=department, score=score, satisfaction=satisfaction,
                   party=guest if kind == SurveyKind.CLIENT else None,
                   answered_on=month if kind == SurveyKind.CLIENT else None)
            for score in scores])
        return rows

    return {"org": org, "a": a, "b": b, "kitchen": kitchen, "hall": hall, "answers": answers, "guest": guest,
            "partner": partner}


def _scope(org) -> Scope:
    return Scope(org.pk, Role.OWNER, None, ROLE_CAPABILITIES[Role.OWNER])


def _text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _login(client, username):
    assert client.login(username=username, password="pw-romashka-1")


def test_nps_by_location_and_month_with_its_interval(shop):
    shop["answers"]("client", shop["a"], MARCH, [10, 9, 9, 8, 3, 0])
    shop["answers"]("client", shop["b"], MARCH, [10, 6])
    shop["answers"]("client", shop["a"], FEBRUARY, [7])
    table = selectors.score_table(scope=_scope(shop["org"]), kind=SurveyKind.CLIENT, as_of=AS_OF)
    assert [row.name for row in table.rows] == ["Alpha", "Beta"]
    alpha_march = table.rows[0].cells[-1].estimate
    # 3 promoters, 1 passive, 2 detractors of 6: NPS 16.7; variance (5/6 − (1/6)²) / 6.
    assert alpha_march.nps == pytest.approx(100 / 6)
    half = 100 * Z * math.sqrt((5 / 6 - 1 / 36) / 6)
    assert (alpha_march.low, alpha_march.high) == (pytest.approx(100 / 6 - half), pytest.approx(100 / 6 + half))
    assert table.rows[0].cells[-2].estimate.nps == 0  # one passive in February
    assert table.rows[0].total.answers == 7
    network_march = table.network.cells[-1].estimate
    assert (network_march.promoters, network_march.passives, network_march.detractors) == (4, 1, 3)


def _gamma(shop) -> Location:
    return Location.objects.create(organisation=shop["org"], code="C", name="Gamma", city="X")


def _three_staff_groups(shop) -> Location:
    """March eNPS answers: Alpha five (40), Beta four (too few), Gamma six."""
    gamma = _gamma(shop)
    shop["answers"]("employee", shop["a"], MARCH, [10, 9, 9, 5, 7], department=shop["kitchen"], satisfaction=4)
    shop["answers"]("employee", shop["b"], MARCH, [10, 10, 10, 10], department=shop["hall"], satisfaction=5)
    shop["answers"]("employee", gamma, MARCH, [10, 10, 8, 8, 3, 9], department=shop["kitchen"], satisfaction=3)
    return gamma


def test_enps_groups_under_five_answers_are_hidden(shop):
    shop["answers"]("employee", shop["a"], MARCH, [10, 9, 9, 5, 7], department=shop["kitchen"], satisfaction=4)
    shop["answers"]("employee", shop["b"], FEBRUARY, [10, 10, 10, 10], department=shop["hall"], satisfaction=5)
    by_location = selectors.score_table(scope=_scope(shop["org"]), kind=SurveyKind.EMPLOYEE, as_of=AS_OF)
    alpha, beta = by_location.rows
    assert alpha.cells[-1].estimate.nps == pytest.approx(40.0) and not alpha.cells[-1].hidden
    assert alpha.cells[-1].satisfaction == pytest.approx(4.0)
    assert beta.cells[-2].hidden and beta.cells[-2].estimate.nps is None and beta.total.hidden
    assert beta.cells[-2].answers == 0  # not even the number of answers is shown


def test_a_hidden_group_cannot_be_worked_out_from_the_network(shop):
    _three_staff_groups(shop)
    table = selectors.score_table(scope=_scope(shop["org"]), kind=SurveyKind.EMPLOYEE, as_of=AS_OF)
    alpha, beta, gamma = table.rows
    assert table.network.cells[-1].estimate.answers == 15
    # Beta's four are hidden; Alpha, the smallest shown group, is hidden with it, or network − the rest = Beta.
    assert beta.cells[-1].hidden and alpha.cells[-1].hidden and alpha.total.hidden
    assert not gamma.cells[-1].hidden and gamma.cells[-1].estimate.nps == pytest.approx(100 * (3 - 1) / 6)


def test_the_staff_page_shows_fewer_than_five_and_never_a_person(client, shop):
    _three_staff_groups(shop)
    _login(client, "o_hr")
    page = client.get("/feedback/staff/", {"as_of": AS_OF.isoformat()})
    assert page.status_code == 200
    body = page.content.decode()
    assert "меньше 5 ответов" in body
    table = page.context["by_location"]
    assert [row.cells[-1].hidden for row in table.rows] == [True, True, False]
    export = _text(client.get("/feedback/export/employee-answers/", {"as_of": AS_OF.isoformat()}))
    rows = list(csv.reader(io.StringIO(export), delimiter=";" if ";" in export.splitlines()[0] else ","))
    assert len(rows) == 1 + 6  # only Gamma's six: Alpha and Beta are hidden in the table
    assert all(row[1] == "Gamma" for row in rows[1:])
    assert [row[3] for row in rows[1:]] == ["3", "8", "8", "9", "10", "10"]  # by score, not by arrival


def test_internal_service_matrix_hides_small_pairs(shop):
    kitchen, hall = shop["kitchen"], shop["hall"]
    rated = shop["answers"]("internal", shop["a"], MARCH, [None] * 5, department=hall)
    ServiceRating.objects.bulk_create([ServiceRating(answer=a, provider=kitchen, quality=q, speed=s, courtesy=c)
                                       for a, (q, s, c) in zip(rated, [(5, 4, 3), (4, 4, 4), (3, 2, 5), (5, 5, 5),
                                                                       (3, 5, 3)], strict=True)])
    few = shop["answers"]("internal", shop["a"], MARCH, [None] * 4, department=kitchen)
    ServiceRating.objects.bulk_create([ServiceRating(answer=a, provider=hall, quality=1, speed=1, courtesy=1)
                                       for a in few])
    matrix = selectors.service_matrix(scope=_scope(shop["org"]), date_from=FEBRUARY, date_to=AS_OF)
    cell = matrix.cells[(hall.pk, kitchen.pk)]
    assert (cell.answers, cell.quality, cell.speed, cell.courtesy) == (5, 4.0, 4.0, 4.0)
    assert cell.mean == pytest.approx(4.0)
    small = matrix.cells[(kitchen.pk, hall.pk)]
    assert small.hidden and small.quality is None and small.mean is None


def test_the_stage_that_drags_nps_down(client, shop):
    org = shop["org"]
    slow = JourneyStage.objects.create(organisation=org, code="logistics", name_ru="Логистика", name_en="Logistics")
    fine = JourneyStage.objects.create(organisation=org, code="product", name_ru="Продукт", name_en="Product")
    answers = shop["answers"]("client", shop["a"], MARCH, [2, 5, 9, 10, 8])
    StageRating.objects.bulk_create(
        [StageRating(answer=a, stage=slow, rating=r) for a, r in zip(answers, [1, 2, 4, 5, 3], strict=True)]
        + [StageRating(answer=a, stage=fine, rating=5) for a in answers])
    drags, worst = selectors.stage_drags(scope=_scope(org), date_from=FEBRUARY, date_to=AS_OF)
    assert worst is not None and worst.stage == "logistics"
    assert worst.drag == pytest.approx(0.4 * (200 / 3 + 100))
    _login(client, "o_owner")
    page = client.get("/feedback/", {"as_of": AS_OF.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and page.context["worst"] in ("Logistics", "Логистика")


def test_link_report_finds_a_planted_link_and_says_when_there_are_too_few(shop):
    org = shop["org"]
    # Ten location-months at Alpha and Beta: the better the staff's eNPS, the better the clients' NPS.
    months = selectors.months_back(AS_OF, 5)
    # (staff scores, client scores): eNPS 100, 80, 20, −20, −60 against NPS 100, 80, 20, −20, −40.
    planted = {0: ([10] * 5, [10] * 5), 1: ([10, 10, 10, 9, 8], [10, 10, 9, 9, 8]),
               2: ([10, 9, 8, 7, 7], [9, 9, 8, 8, 6]), 3: ([8, 8, 7, 7, 6], [10, 8, 7, 6, 6]),
               4: ([6, 5, 7, 8, 6], [6, 6, 6, 8, 9])}
    for index, month in enumerate(months):
        for location, shift in ((shop["a"], 0), (shop["b"], 1)):
            staff, clients = planted[(index + shift) % 5]
            shop["answers"]("client", location, month, clients)
            shop["answers"]("employee", location, month, staff, department=shop["kitchen"], satisfaction=3)
    report = selectors.link_report(scope=_scope(org), as_of=AS_OF, x="enps", y="nps", months=5)
    assert report.result.n == 10 and report.result.enough
    assert report.result.r > 0.8 and report.result.positive
    few = selectors.link_report(scope=_scope(org), as_of=AS_OF, x="enps", y="nps", months=2)
    assert few.result.n == 4 and not few.result.enough


def test_roles_and_scopes_on_pages_api_and_exports(client, shop):
    shop["answers"]("client", shop["a"], MARCH, [10, 9, 2])
    shop["answers"]("client", shop["b"], MARCH, [0, 1, 2, 3, 4])
    _login(client, "o_staff")
    assert client.get("/feedback/").status_code == 403
    assert client.get("/feedback/staff/").status_code == 403
    assert client.get("/feedback/export/nps/").status_code == 403
    client.logout()
    _login(client, "o_crm")
    assert client.get("/feedback/staff/").status_code == 403  # eNPS is for HR, managers, owners, analysts
    client.logout()
    for username, seen, unseen in (("o_partner", "Beta", "Alpha"), ("o_manager", "Alpha", "Beta")):
        _login(client, username)
        page = client.get("/feedback/", {"as_of": AS_OF.isoformat()})
        assert page.status_code == 200
        names = [row.name for row in page.context["table"].rows]
        assert names == [seen]
        export = _text(client.get("/feedback/export/nps/", {"as_of": AS_OF.isoformat()}))
        assert seen in export and unseen not in export
        answers = _text(client.get("/feedback/export/client-answers/"))
        assert len(answers.strip().splitlines()) == 1 + (3 if seen == "Alpha" else 5)
        client.logout()


def test_api_scores_and_anonymous_answers(client, shop):
    shop["answers"]("client", shop["a"], MARCH, [10, 9, 9, 8, 3, 0])
    _three_staff_groups(shop)
    _login(client, "o_owner")
    scores = client.get("/api/feedback/scores", {"kind": "client", "as_of": AS_OF.isoformat()}).json()
    alpha = scores["groups"][0]
    assert alpha["name"] == "Alpha" and alpha["months"][-1]["nps"] == pytest.approx(100 / 6)
    assert alpha["months"][-1]["answers"] == 6
    enps = client.get("/api/feedback/scores", {"kind": "employee", "as_of": AS_OF.isoformat()}).json()
    beta = next(g for g in enps["groups"] if g["name"] == "Beta")
    assert beta["months"][-1] == {"month": "2026-03-01", "answers": None, "hidden": True, "nps": None, "low": None,
                                  "high": None, "satisfaction": None}
    anonymous = client.get("/api/feedback/answers/anonymous", {"kind": "employee", "as_of": AS_OF.isoformat()}).json()
    assert anonymous["count"] == 6
    assert set(anonymous["items"][0]) == {"month", "location_id", "department_id", "score", "satisfaction", "comment"}
    bad = client.get("/api/feedback/scores", {"kind": "everyone"})
    assert bad.status_code == 422
    client.logout()
    _login(client, "o_partner")
    partner_scores = client.get("/api/feedback/scores", {"kind": "client", "as_of": AS_OF.isoformat()}).json()
    assert [g["name"] for g in partner_scores["groups"]] == []  # no client answers at Beta
    client_answers = client.get("/api/feedback/answers/client").json()
    assert client_answers["count"] == 0


def test_chamomile_figures_show_the_survey_numbers(shop):
    from romashka.chamomile.figures import FIGURES, FigureContext

    shop["answers"]("client", shop["a"], MARCH, [10, 10, 9, 0])
    shop["answers"]("employee", shop["a"], MARCH, [10, 9, 9, 5, 7], department=shop["kitchen"], satisfaction=4)
    shop["answers"]("employee", shop["b"], MARCH, [0, 0, 0, 0], department=shop["hall"], satisfaction=1)
    Answer.objects.create(organisation=shop["org"], survey=Survey.objects.get(organisation=shop["org"], kind="partner"),
                          wave=Wave.objects.get(survey__organisation=shop["org"], survey__kind="partner"),
                          kind="partner", month=MARCH, party=shop["partner"], answered_on=MARCH, score=8,
                          satisfaction=4)
    owner = _scope(shop["org"])
    assert FIGURES["client_nps"].compute(FigureContext(owner, AS_OF)) == Decimal("50.0")
    # Alpha's five make 40; with Beta's four the network has nine answers: 3 promoters, 5 detractors.
    assert FIGURES["enps"].compute(FigureContext(owner, AS_OF)) == Decimal("-22.2")
    partner_scope = Scope(shop["org"].pk, Role.FRANCHISE_PARTNER, frozenset({shop["b"].pk}),
                          ROLE_CAPABILITIES[Role.FRANCHISE_PARTNER])
    assert FIGURES["client_nps"].compute(FigureContext(partner_scope, AS_OF)) is None
    assert FIGURES["enps"].compute(FigureContext(partner_scope, AS_OF)) is None  # four answers: too few
    assert FIGURES["partner_satisfaction"].compute(FigureContext(partner_scope, AS_OF)) == 4
    from romashka.feedback.models import DeliveryRating

    supplier = Party.objects.create(organisation=shop["org"], name="Mill")
    rated = shop["answers"]("delivery", shop["a"], MARCH, [None, None])
    DeliveryRating.objects.bulk_create([DeliveryRating(answer=rated[0], supplier=supplier, on_time=2, complete=4,
                                                       quality=5),
                                        DeliveryRating(answer=rated[1], supplier=supplier, on_time=3, complete=3,
                                                       quality=4)])
    # (2.5 + 3.5 + 4.5) / 3 = 3.5 for the network; Beta's partner sees no rating of its own locations.
    assert FIGURES["delivery_quality"].compute(FigureContext(owner, AS_OF)) == Decimal("3.50")
    assert FIGURES["delivery_quality"].compute(FigureContext(partner_scope, AS_OF)) is None
    table = selectors.delivery_ratings(scope=owner, date_from=FEBRUARY, date_to=AS_OF)
    assert [(row.name, row.ratings, row.on_time, row.mean) for row in table] == [("Mill", 2, 2.5, 3.5)]
    # By location on the supplier's page: Beta rates Mill once, badly; worst first; the partner sees only Beta.
    beta = shop["answers"]("delivery", shop["b"], MARCH, [None])
    DeliveryRating.objects.create(answer=beta[0], supplier=supplier, on_time=1, complete=1, quality=2)
    by_location = selectors.supplier_ratings_by_location(scope=owner, supplier_id=supplier.pk, date_from=FEBRUARY,
                                                         date_to=AS_OF)
    assert [(row.key, row.ratings, row.on_time, round(row.mean, 4)) for row in by_location] == [
        (shop["b"].pk, 1, 1.0, round(4 / 3, 4)), (shop["a"].pk, 2, 2.5, 3.5)]
    assert [row.key for row in selectors.supplier_ratings_by_location(
        scope=partner_scope, supplier_id=supplier.pk, date_from=FEBRUARY, date_to=AS_OF)] == [shop["b"].pk]
    assert selectors.supplier_ratings_by_location(scope=owner, supplier_id=supplier.pk, date_from=date(2026, 4, 1),
                                                  date_to=date(2026, 4, 30)) == []


def test_detractor_answers_lists_the_latest_low_score_per_client(shop):
    from romashka.feedback.selectors import detractor_answers

    other = Party.objects.create(organisation=shop["org"], name="Other")
    first = shop["answers"]("client", shop["a"], FEBRUARY, [3])[0]
    later = shop["answers"]("client", shop["a"], MARCH, [5])[0]
    Answer.objects.filter(pk=later.pk).update(answered_on=date(2026, 3, 10))
    shop["answers"]("client", shop["a"], MARCH, [10])
    promoter = shop["answers"]("client", shop["a"], MARCH, [9])[0]
    Answer.objects.filter(pk=promoter.pk).update(party=other)
    assert first.party_id == shop["guest"].pk
    assert detractor_answers(organisation_id=shop["org"].pk) == [(shop["guest"].pk, date(2026, 3, 10))]


def test_fan_retention_and_revenue_per_client_by_hand(shop):
    from datetime import datetime
    from decimal import Decimal as D

    from django.utils import timezone

    from romashka.path.models import Purchase, StatusEvent

    org, alpha = shop["org"], shop["a"]
    guests = Party.objects.bulk_create([Party(organisation=org, name=f"g{i}", home_location=alpha) for i in range(3)])
    PartyRole.objects.bulk_create([PartyRole(party=g, kind=PartyKind.GUEST) for g in guests])
    kept, left, never = guests
    StatusEvent.objects.bulk_create([
        StatusEvent(organisation=org, party=kept, changed_on=date(2026, 1, 10), to_status="fan"),
        StatusEvent(organisation=org, party=left, changed_on=date(2026, 1, 5), to_status="fan"),
        StatusEvent(organisation=org, party=left, changed_on=date(2026, 3, 1), from_status="fan", to_status="dormant"),
        StatusEvent(organisation=org, party=never, changed_on=date(2026, 1, 3), to_status="novice"),
    ])
    january = date(2026, 1, 1)
    retention = selectors.fan_retention(scope=_scope(org), months=[january, FEBRUARY], as_of=AS_OF, cycle_days=30)
    # January's end: two fans; thirty days later (2 March) one of them is dormant. February's cycle ends on
    # 30 March, after as_of (20 March): not known yet, so left out.
    assert retention == {(alpha.pk, january): (2, 1)}
    assert selectors.fan_retention(scope=_scope(org), months=[MARCH], as_of=AS_OF, cycle_days=30) == {}
    for number, (guest, amount) in enumerate([(kept, "100"), (kept, "50"), (left, "30")]):
        Purchase.objects.create(organisation=org, party=guest, location=alpha, amount=D(amount),
                                occurred_at=timezone.make_aware(datetime(2026, 2, 10, 12)),
                                purchased_on=date(2026, 2, 10), receipt_ref=f"r{number}")
    assert selectors.revenue_per_client(scope=_scope(org), months=[january, FEBRUARY]) == {
        (alpha.pk, FEBRUARY): D("90.00")}


def test_party_answers_are_the_clients_own(shop):
    mine = shop["answers"]("client", shop["a"], MARCH, [7])[0]
    shop["answers"]("employee", shop["a"], MARCH, [10] * 5, department=shop["kitchen"])
    other = Party.objects.create(organisation=shop["org"], name="Other")
    Answer.objects.filter(pk=shop["answers"]("client", shop["a"], MARCH, [2])[0].pk).update(party=other)
    assert [a.pk for a in selectors.party_answers(scope=_scope(shop["org"]), party_id=shop["guest"].pk)] == [mine.pk]
