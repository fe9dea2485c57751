"""Discovery pages as their users see them on the demo network: every tab, the editor, drill-downs and
exports, the interview and committee forms, and who may not see them."""

from __future__ import annotations

import pytest

from romashka.discovery.models import CommitteeMember, Interview, NotOurClient, Segment
from romashka.touches.models import Task

pytestmark = pytest.mark.django_db

PAGES = ["/segments/", "/segments/new/", "/segments/pareto/", "/segments/rfm/", "/segments/rfm/cell/?cell=champions",
         "/segments/rfm/cell/?r=5&f=5", "/segments/not-ours/", "/segments/interviews/", "/segments/jobs/",
         "/segments/business/"]


@pytest.mark.parametrize("username", ["owner", "crm", "analyst"])
def test_every_tab_opens_for_the_roles_that_shape_the_offer(client, login, username):
    login(client, username)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
    segment = Segment.objects.order_by("pk").first()
    assert client.get(f"/segments/{segment.pk}/").status_code == 200
    assert client.get(f"/segments/{segment.pk}/edit/").status_code == 200


@pytest.mark.parametrize("username", ["manager", "staff", "hr", "partner"])
def test_other_roles_get_403_and_no_navigation_entry(client, login, username):
    login(client, username)
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    assert 'href="/segments/"' not in client.get("/").content.decode()


def test_the_segment_table_lists_every_demo_segment_with_all_clients_first(client, login):
    login(client, "crm")
    text = client.get("/segments/").content.decode()
    assert 'data-testid="segment-table"' in text and 'id="segments-data"' in text
    for name in Segment.objects.values_list("name", flat=True):
        assert name.replace("«", "&laquo;") in text or name in text


def test_the_editor_saves_a_segment_and_names_a_bad_condition(client, login):
    login(client, "crm")
    editor = client.get("/segments/new/").content.decode()
    assert 'data-testid="known-values"' in editor and "MSK-01" in editor and "рекомендация" in editor
    data = {"name": "Москва, женщины", "description": "", "c-TOTAL_FORMS": "3", "c-INITIAL_FORMS": "0",
            "c-MIN_NUM_FORMS": "3", "c-MAX_NUM_FORMS": "3",
            "c-0-field": "city", "c-0-values": "Москва", "c-2-field": "gender", "c-2-values": "f",
            "c-1-field": "", "c-1-values": ""}
    # The band is on the third row while the second is empty: the message stands under the third row.
    response = client.post("/segments/new/", {**data, "c-2-field": "age", "c-2-min_value": "40",
                                              "c-2-max_value": "30"})
    assert response.status_code == 200
    text = response.content.decode()
    row = text[text.index('data-testid="condition-2"'):]
    assert row.index("Диапазон кончается раньше, чем начинается.") < row.index("</form>")
    assert "Диапазон кончается" not in text[text.index('data-testid="condition-1"'):text.index(
        'data-testid="condition-2"')]
    response = client.post("/segments/new/", data)
    segment = Segment.objects.get(name="Москва, женщины")
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert [c.field for c in segment.conditions.all()] == ["city", "gender"]


def test_segment_clients_and_the_rfm_cell_export_as_csv_and_xlsx(client, login):
    login(client, "crm")
    segment = Segment.objects.get(name="Москва: поклонники")
    csv = client.get(f"/segments/{segment.pk}/?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == segment.organisation.parties.filter(
        pk__in=__import__("romashka.discovery.selectors", fromlist=["x"]).segment_parties(segment=segment)
        .values("pk")).count()
    xlsx = client.get("/segments/rfm/cell/?cell=champions&format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_rfm_cell_is_put_on_a_list_standard(client, login):
    from romashka.touches.models import Standard

    login(client, "crm")
    standard = Standard.objects.get(trigger="list", versions__name="Приглашение на интервью")
    before = Task.objects.filter(entry__standard=standard).count()
    response = client.post("/segments/rfm/cell/?cell=cannot_lose", {"standard": standard.pk})
    assert response.status_code == 302
    assert Task.objects.filter(entry__standard=standard).count() > before


def test_interview_recorded_from_the_form_and_invitations_become_tasks(client, login):
    login(client, "crm")
    text = client.get("/segments/interviews/").content.decode()
    assert 'data-testid="interview-guide"' in text and 'data-testid="interview-summaries"' in text
    from django.contrib.auth import get_user_model

    from romashka.discovery.selectors import interview_suggestions

    crm = get_user_model().objects.get(username="crm")
    suggested = list(interview_suggestions(user=crm)[:3].values_list("pk", flat=True))
    assert suggested
    response = client.post("/segments/interviews/", {"party": suggested})
    assert response.status_code == 302
    assert Task.objects.filter(party_id__in=suggested, entry__standard__trigger="list").count() == len(suggested)
    response = client.post(f"/segments/interviews/new/{suggested[0]}/", {
        "interviewed_on": "2026-11-20", "job_text": "Позавтракать быстро", "missing": "предзаказ, парковка",
        "pays_more": "True", "pays_more_amount": "100"})
    assert response.status_code == 302
    assert Interview.objects.filter(party_id=suggested[0], missing="предзаказ, парковка").exists()
    response = client.post(f"/segments/interviews/new/{suggested[0]}/", {
        "interviewed_on": "2026-11-20", "pays_more": "False", "pays_more_amount": "100"})
    assert "Сумма — только если клиент готов платить больше." in response.content.decode()


def test_not_ours_marked_from_the_report_and_removed(client, login, demo_network):
    login(client, "crm")
    from romashka.core.models import Party

    party = Party.objects.filter(roles__kind="guest").exclude(not_ours_marks__isnull=False).order_by("pk").first()
    response = client.post("/segments/not-ours/", {"party": party.pk, "reason": "other", "note": "тест"})
    assert response.status_code == 302
    mark = NotOurClient.objects.get(party=party)
    assert party.name in client.get("/segments/not-ours/").content.decode()
    client.post("/segments/not-ours/", {"unmark": mark.pk})
    assert not NotOurClient.objects.filter(party=party).exists()


def test_a_committee_member_is_added_on_the_company_page(client, login):
    from romashka.core.models import Party

    login(client, "crm")
    company = Party.objects.filter(company_profile__isnull=False).order_by("pk").first()
    assert client.get("/segments/business/").status_code == 200
    response = client.post(f"/segments/business/{company.pk}/", {"name": "Иванова Анна", "role": "blocker",
                                                                 "position": "юрист", "email": "a@x.example"})
    assert response.status_code == 302
    assert CommitteeMember.objects.filter(company=company, role="blocker", person__name="Иванова Анна").exists()


def test_the_touch_editor_limits_a_standard_to_a_segment_and_a_step_to_a_committee_role(client, login):
    from romashka.touches.models import StandardVersion

    login(client, "crm")
    segment = Segment.objects.get(name="Компании: ИТ и финансы")
    assert "Компании: ИТ и финансы" in client.get("/touches/new/").content.decode()
    response = client.post("/touches/new/", {
        "trigger": "fan", "name": "Компании: поклонники", "is_active": "on", "control_percent": "0",
        "conversion_days": "30", "responsible": "", "segment": segment.pk,
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-title": "Директору", "form-0-channel": "email", "form-0-delay_days": "0",
        "form-0-delay_basis": "entry", "form-0-template_ru": "Сэкономьте на завтраках, {name}",
        "form-0-executor_rule": "location_manager", "form-0-committee_role": "decision_maker"})
    assert response.status_code == 302, response.content.decode()[:3000]
    version = StandardVersion.objects.get(name="Компании: поклонники")
    assert version.segment == segment and version.steps.get().committee_role == "decision_maker"
    page = client.get(response["Location"]).content.decode()
    assert f'<option value="{segment.pk}" selected>' in page


def test_business_bounds_replace_quintiles_and_bad_ones_are_named(client, login):
    from django.contrib.auth import get_user_model

    from romashka.core.access import clients_visible

    login(client, "crm")
    response = client.post("/segments/rfm/", {"recency_days": "7, 30, 90, 180", "frequency": "2 3 5 10",
                                              "monetary": ""})
    assert response.status_code == 302
    page = client.get("/segments/rfm/").content.decode()
    assert 'data-testid="rfm-by-bounds"' in page
    # Champions: R 5 (at most 7 days since the last purchase) and F 4–5 (5 purchase days or more).
    crm = get_user_model().objects.get(username="crm")
    expected = clients_visible(crm).filter(status_snapshot__recency_days__lte=7,
                                           status_snapshot__purchase_days__gte=5).count()
    listed = client.get("/segments/rfm/cell/?cell=champions&format=csv")
    assert len(b"".join(listed.streaming_content).decode("utf-8-sig").strip().splitlines()) - 1 == expected > 0
    refused = client.post("/segments/rfm/", {"recency_days": "30, 7, 90, 180", "frequency": "1, 2", "monetary": ""})
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Четыре числа" in text and "не отрицательные" in text


def test_the_job_map_shows_products_jobs_and_categories(client, login):
    login(client, "analyst")
    text = client.get("/segments/jobs/").content.decode()
    for testid in ("job-map", "category-map", "products"):
        assert f'data-testid="{testid}"' in text
    assert "Быстро и сытно позавтракать по дороге на работу" in text and "вес, г: 220" in text


def test_clients_are_matched_to_a_job_by_what_they_bought(demo_network):
    from django.contrib.auth import get_user_model

    from romashka.core.access import clients_visible
    from romashka.discovery.selectors import job_map

    crm = get_user_model().objects.get(username="crm")
    row = next(r for r in job_map(user=crm) if r["job"].name == "Провести выходные с семьёй")
    categories = {link.product.purchase_category for link in row["links"]}
    assert categories == {"блины", "десерты", "доставка"}
    expected = clients_visible(crm).filter(purchases__category__in=categories, purchases__amount__gt=0).distinct()
    assert row["matched_clients"] == expected.count() > 0
