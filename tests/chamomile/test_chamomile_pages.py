"""The chamomile's pages on the small demo: the flower, every petal's drill-down, targets, exports, scoping."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from romashka.chamomile import selectors
from romashka.chamomile.figures import Petal
from romashka.chamomile.models import PetalTarget, SupplierOrder
from romashka.core.choices import PartyKind
from romashka.core.models import Location, Membership, Party

MONTH = "2026-11"


@pytest.fixture
def owner(client, login):
    login(client, "owner")
    return client


def test_the_owner_sees_every_petal_on_the_flower(owner, django_assert_max_num_queries, delivery_quality_without_data):
    # The same bounded queries on every request: nothing is cached, the figures come from the facts.
    with django_assert_max_num_queries(selectors.page_query_bound()):
        response = owner.get(f"/chamomile/?month={MONTH}")
    assert response.status_code == 200
    with django_assert_max_num_queries(selectors.page_query_bound()):
        again = owner.get(f"/chamomile/?month={MONTH}").content.decode()

    def main_of(html: str) -> str:  # the page without the per-request CSRF token of the layout
        return html[html.index('data-testid="chamomile-svg"'):html.index("</main>")]

    assert main_of(again) == main_of(response.content.decode())
    page = response.content.decode()
    for petal in Petal:
        assert f'data-petal="{petal.value}"' in page
    assert "no data yet" in page or "нет данных" in page  # delivery ratings are not recorded


@pytest.mark.parametrize("petal", [p.value for p in Petal])
def test_every_petal_drills_down(owner, petal):
    response = owner.get(f"/chamomile/{petal}/?month={MONTH}")
    assert response.status_code == 200
    assert f'data-testid="figures-{petal}"' in response.content.decode()


def test_a_target_set_by_the_owner_colours_the_petal(owner, login):
    response = owner.post("/chamomile/targets/", {"month": MONTH, "target_active_clients": "100 000 000"})
    assert response.status_code == 302
    assert PetalTarget.objects.get(figure="active_clients", month=date(2026, 11, 1)).value == 100_000_000
    page = owner.get(f"/chamomile/?month={MONTH}").content.decode()
    assert 'data-petal="guests" data-health="behind"' in page
    # The next month the target still holds.
    page = owner.get("/chamomile/?month=2026-12").content.decode()
    assert 'data-petal="guests" data-health="behind"' in page
    # An unreadable number is refused with a message, nothing saved.
    owner.post("/chamomile/targets/", {"month": MONTH, "target_fan_share": "много"})
    assert not PetalTarget.objects.filter(figure="fan_share", month=date(2026, 11, 1)).exists()


def test_only_the_owner_sets_targets(client, login):
    login(client, "crm")
    assert client.get("/chamomile/targets/").status_code == 403
    assert client.post("/chamomile/targets/", {"month": MONTH, "target_active_clients": "1"}).status_code == 403


def test_targets_and_actuals_export_as_csv_and_xlsx(owner):
    PetalTarget.objects.create(organisation_id=Location.objects.first().organisation_id, figure="community_reach",
                               month=date(2026, 1, 1), value=10_000_000)
    response = owner.get(f"/chamomile/export.csv?month={MONTH}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.splitlines()[0] else ","))
    assert rows[0][:3] == ["month", "petal", "figure"]
    held = [r for r in rows if r[0] == MONTH and r[2] == "community_reach"]
    assert held and held[0][6] == "10000000.00" and held[0][7] == "behind"
    response = owner.get(f"/chamomile/export.xlsx?month={MONTH}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(1, 1).value == "month" and sheet.max_row == len(rows)


def test_the_supplier_report_page_and_xlsx(owner):
    supplier = Party.objects.filter(roles__kind=PartyKind.SUPPLIER).first()
    page = owner.get(f"/chamomile/suppliers/{supplier.pk}/").content.decode()
    assert 'data-testid="supplier-months"' in page
    response = owner.get(f"/chamomile/suppliers/{supplier.pk}/report.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    yearly = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    orders = SupplierOrder.objects.filter(supplier=supplier, ordered_on__year=2025)
    total_2025 = sum(o.amount for o in orders)
    assert [row for row in yearly if row[0] == 2025][0][1] == pytest.approx(float(total_2025))


def test_the_supplier_page_shows_each_locations_delivery_ratings(owner):
    from romashka.feedback.models import DeliveryRating

    rated = DeliveryRating.objects.values_list("supplier_id", flat=True).first()
    assert rated, "the demo's delivery surveys rate suppliers"
    page = owner.get(f"/chamomile/suppliers/{rated}/")
    ratings = page.context["ratings"]
    assert ratings and all(1 <= row.mean <= 5 for row in ratings)
    assert [row.mean for row in ratings] == sorted(row.mean for row in ratings)
    assert 'data-testid="supplier-ratings"' in page.content.decode()


def test_the_supplier_report_prints_on_a4_and_downloads_as_pdf(owner):
    from datetime import timedelta

    from django.utils import timezone

    supplier = Party.objects.filter(roles__kind=PartyKind.SUPPLIER).first()
    page = owner.get(f"/chamomile/suppliers/{supplier.pk}/").content.decode()
    assert f"/chamomile/suppliers/{supplier.pk}/report/" in page and f"/chamomile/suppliers/{supplier.pk}/report.pdf" in page
    response = owner.get(f"/chamomile/suppliers/{supplier.pk}/report/")
    assert response.status_code == 200
    printed = response.content.decode()
    assert supplier.name in printed and "supplier_print.css" in printed and 'data-testid="print-months"' in printed
    today = timezone.localdate()
    last12 = sum(o.amount for o in SupplierOrder.objects.filter(
        supplier=supplier, ordered_on__gt=today - timedelta(days=365), ordered_on__lte=today))
    from romashka.web.templatetags.romashka import money_whole

    shown = printed[printed.index('data-testid="print-last12">') + len('data-testid="print-last12">'):]
    assert shown.startswith(str(money_whole(last12)))
    pdf = owner.get(f"/chamomile/suppliers/{supplier.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"DejaVu" in pdf.content and b"/Type /Page" in pdf.content
    assert f'supplier-{supplier.pk}-turnover-' in pdf["Content-Disposition"]


def test_the_printed_report_needs_the_export_right_and_keeps_a_partner_to_its_locations(client, login):
    supplier = Party.objects.filter(roles__kind=PartyKind.SUPPLIER).first()
    login(client, "hr")  # no suppliers' petal
    assert client.get(f"/chamomile/suppliers/{supplier.pk}/report/").status_code == 403
    assert client.get(f"/chamomile/suppliers/{supplier.pk}/report.pdf").status_code == 403
    user = login(client, "partner")
    own = set(Location.objects.filter(partner=Membership.objects.get(user=user).partner).values_list("name", flat=True))
    others = set(Location.objects.exclude(name__in=own).values_list("name", flat=True))
    printed = client.get(f"/chamomile/suppliers/{supplier.pk}/report/").content.decode()
    table = printed[printed.index('data-testid="print-locations"'):]
    assert any(name in table for name in own) and not any(name in table for name in others)
    assert client.get(f"/chamomile/suppliers/{supplier.pk}/report.pdf").status_code == 200


def test_the_partner_sees_its_own_chamomile_and_cabinet_never_another_partners_name(client, login):
    user = login(client, "partner")
    own = Membership.objects.get(user=user).partner
    others = list(Party.objects.filter(roles__kind=PartyKind.FRANCHISE_PARTNER).exclude(pk=own.pk))
    assert others
    page = client.get(f"/chamomile/?month={MONTH}").content.decode()
    assert 'data-petal="investors"' not in page
    cabinet = client.get("/chamomile/partner/").content.decode()
    assert own.name in cabinet
    for other in others:
        assert other.name not in page and other.name not in cabinet
        assert client.get(f"/chamomile/partner/{other.pk}/").status_code == 404
    assert client.get("/chamomile/investors/").status_code == 403
    assert client.get("/chamomile/franchise/").status_code == 302  # to its own cabinet
    csv_text = b"".join(client.get("/chamomile/export.csv").streaming_content).decode("utf-8-sig")
    for other in others:
        assert other.name not in csv_text
    assert "investors_irr" not in csv_text


def test_the_partners_figures_are_its_locations_only(client, login):
    user = login(client, "partner")
    own = Membership.objects.get(user=user).partner
    own_locations = set(Location.objects.filter(partner=own).values_list("name", flat=True))
    page = client.get(f"/chamomile/employees/?month={MONTH}").content.decode()
    for location in Location.objects.exclude(name__in=own_locations):
        assert f"<td>{location.name}</td>" not in page


def test_the_owner_opens_any_partners_cabinet(owner):
    for partner in Party.objects.filter(roles__kind=PartyKind.FRANCHISE_PARTNER):
        response = owner.get(f"/chamomile/partner/{partner.pk}/")
        assert response.status_code == 200 and partner.name in response.content.decode()


def test_an_employee_sees_no_investor_or_supplier_petal(client, login):
    login(client, "staff")
    page = client.get("/chamomile/").content.decode()
    assert 'data-petal="guests"' in page and 'data-petal="investors"' not in page
    assert client.get("/chamomile/suppliers/").status_code == 403


def test_the_demo_owner_opens_on_targets_some_met_some_missed(owner):
    page = owner.get(f"/chamomile/?month={MONTH}").content.decode()
    assert 'data-health="behind"' in page and 'data-health="ahead"' in page


def test_the_partners_chamomile_is_bounded_too(client, login, django_assert_max_num_queries):
    login(client, "partner")
    with django_assert_max_num_queries(selectors.page_query_bound()):
        assert client.get(f"/chamomile/?month={MONTH}").status_code == 200


@pytest.mark.parametrize("petal", [p.value for p in Petal])
def test_every_petals_table_downloads(owner, petal):
    response = owner.get(f"/chamomile/{petal}/export.xlsx?month={MONTH}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row >= 2
    response = owner.get(f"/chamomile/{petal}/export.csv?month={MONTH}")
    assert response.status_code == 200 and len(b"".join(response.streaming_content).splitlines()) >= 2


def test_the_investors_table_ends_with_the_overall_return(owner):
    text = b"".join(owner.get("/chamomile/investors/export.csv").streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 3 + 1


def test_a_partners_petal_tables_hold_its_own_data_only(client, login):
    user = login(client, "partner")
    own = Membership.objects.get(user=user).partner
    assert client.get("/chamomile/franchise/export.csv").status_code == 403
    assert client.get("/chamomile/investors/export.csv").status_code == 403
    text = b"".join(client.get("/chamomile/employees/export.csv").streaming_content).decode("utf-8-sig")
    own_locations = set(Location.objects.filter(partner=own).values_list("name", flat=True))
    rows = [line.split(";")[0] for line in text.strip().splitlines()[1:]]
    assert rows and set(rows) <= own_locations


def test_the_monthly_summary_names_the_petals_behind(owner, client, login):
    page = owner.get(f"/chamomile/summary/?month={MONTH}").content.decode()
    table = page[page.index('data-testid="summary-table"'):]
    assert table.count("<tr><td><a href=") == 12
    assert "11.2026" in table and "12.2025" in table
    # The demo's targets start six months before its end: the months before have none.
    assert table.count("health-behind") > 0
    login(client, "partner")
    assert client.get("/chamomile/summary/").status_code == 200
