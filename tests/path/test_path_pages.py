"""The client's path pages through HTTP: figures equal the selectors', scoping per role, lists, exports, the card."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from romashka.core.choices import PartyKind
from romashka.core.demo import DEMO_PASSWORD
from romashka.core.models import Location, Party
from romashka.path.choices import Status
from romashka.path.models import StatusEvent, StatusSnapshot
from romashka.path.selectors import (
    PATH_RATES,
    month_ends,
    status_counts,
    status_counts_by_month,
    transition_matrix,
    transition_rates_by_month,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]

PARTNER_CODES = {"MSK-03", "MSK-04"}  # the locations of franchise partner #1, the demo user `partner`
TODAY = date(2026, 11, 23)  # the demo's last day and its last refresh


@pytest.fixture
def signed_in():
    """A factory: a test client signed in through the login form as one of the demo users."""

    def sign_in(username: str) -> Client:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"demo user {username!r} could not sign in"
        return client

    return sign_in


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    """The pages count up to "today": pin it to the demo's last day so the figures do not drift with the clock."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def user(username: str):
    return get_user_model().objects.get(username=username)


def html(response) -> str:
    return response.content.decode()


def page_data(response) -> dict:
    match = re.search(r'<script id="path-data" type="application/json">(.*?)</script>', html(response), re.S)
    assert match, "the page holds no chart data"
    return json.loads(match.group(1))


def tile_values(response) -> dict[str, int]:
    """The numbers on the "clients by status now" tiles, by status (and "won_back")."""
    tiles = re.findall(r'data-status="(\w+)">.*?<span class="value">([^<]*)</span>', html(response), re.S)
    return {status: int(re.sub(r"\D", "", value)) for status, value in tiles}


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def listed_client_ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/clients/(\d+)/"', html(response))}


def guest_of(code: str) -> Party:
    return (
        Party.objects.filter(roles__kind=PartyKind.GUEST, home_location__code=code, status_snapshot__isnull=False)
        .order_by("id")
        .first()
    )


# --- the overview --------------------------------------------------------------------------------------------


def test_overview_tiles_show_the_status_counts_of_today(signed_in):
    response = signed_in("owner").get("/path/")

    assert response.status_code == 200
    expected = status_counts(user=user("owner"), on=TODAY)
    shown = tile_values(response)
    assert shown.pop("won_back") == expected.won_back
    assert shown == {status: count for status, count in expected.counts.items() if count}
    assert expected.counts[Status.FAN] > 0 and expected.won_back > 0


def test_overview_chart_and_table_follow_the_status_counts_at_month_ends(signed_in):
    data = page_data(signed_in("owner").get("/path/"))

    owner = user("owner")
    assert len(data["months"]) <= 36
    last = status_counts(user=owner, on=TODAY)
    for status in data["statuses"]:
        assert data["counts"][status["key"]][-1] == last.counts[status["key"]]
    assert data["won_back"][-1] == last.won_back
    # A month in the middle: the chart's point equals a fresh count at that month end.
    month_end = month_ends(date_from=TODAY - timedelta(days=400), date_to=TODAY)[0]
    index = data["months"].index(month_end.strftime("%m.%Y"))
    middle = status_counts(user=owner, on=month_end)
    assert {s["key"]: data["counts"][s["key"]][index] for s in data["statuses"]} == {
        s["key"]: middle.counts[s["key"]] for s in data["statuses"]
    }


def test_status_counts_by_month_equal_status_counts_at_every_month_end():
    owner, partner = user("owner"), user("partner")
    for who in (owner, partner):
        series = status_counts_by_month(user=who, date_from=date(2023, 1, 1), date_to=TODAY)
        assert series[-1].on == TODAY
        for point in series:
            assert point == status_counts(user=who, on=point.on), point.on


def test_monthly_rates_match_a_count_over_each_clients_history():
    owner = user("owner")
    date_from = date(2025, 6, 1)
    rates = transition_rates_by_month(user=owner, date_from=date_from, date_to=TODAY)

    # The reference: walk every client's events, find its status on the eve of each month.
    histories: dict[int, list[StatusEvent]] = {}
    for event in StatusEvent.objects.order_by("changed_on"):
        histories.setdefault(event.party_id, []).append(event)
    months = sorted({rate.month for rate in rates})
    for month in months:
        next_month = (month + timedelta(days=32)).replace(day=1)
        for path_rate in PATH_RATES:
            at_start = moved = 0
            for events in histories.values():
                before = [e for e in events if e.changed_on < month]
                if not before or before[-1].to_status != path_rate.from_status:
                    continue
                at_start += 1
                moved += any(
                    e.from_status == path_rate.from_status and e.to_status in path_rate.to_statuses
                    and month <= e.changed_on < next_month
                    for e in events
                )
            shown = next(r for r in rates if r.month == month and r.key == path_rate.key)
            assert (shown.at_start, shown.moved) == (at_start, moved), (month, path_rate.key)
    assert any(r.moved for r in rates if r.key == "novice_fan")


def test_overview_sankey_defaults_to_the_last_quarter_with_unique_node_names(signed_in):
    response = signed_in("owner").get("/path/")
    sankey = page_data(response)["sankey"]

    matrix = transition_matrix(user=user("owner"), date_from=date(2026, 8, 23), date_to=TODAY)
    names = [node["name"] for node in sankey["nodes"]]
    assert len(names) == len(set(names))
    assert "поклонник (23.08.2026)" in names and "поклонник (23.11.2026)" in names
    assert sum(link["value"] for link in sankey["links"]) == sum(t.clients for t in matrix.transitions)
    fans_asleep = next(t for t in matrix.transitions if (t.from_status, t.to_status) == ("fan", "dormant"))
    assert {"source": "поклонник (23.08.2026)", "target": "заснувший (23.11.2026)",
            "value": fans_asleep.clients} in sankey["links"]
    assert 'data-testid="matrix-table"' in html(response)


def test_overview_sankey_between_chosen_dates(signed_in):
    response = signed_in("owner").get("/path/?date_from=2025-11-23&date_to=2026-05-31")

    matrix = transition_matrix(user=user("owner"), date_from=date(2025, 11, 23), date_to=date(2026, 5, 31))
    sankey = page_data(response)["sankey"]
    assert sum(link["value"] for link in sankey["links"]) == sum(t.clients for t in matrix.transitions)
    assert any(node["name"].endswith("(31.05.2026)") for node in sankey["nodes"])
    assert 'data-testid="period-error"' not in html(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01&date_to=2026-11-01", "Введите правильную дату"),
        ("date_from=yesterday&date_to=", "Обязательное поле"),
        ("date_from=2026-11-01&date_to=2026-01-01", "не может быть позже"),
    ],
)
def test_invalid_dates_in_the_sankey_form_give_a_clear_message(signed_in, query, message):
    response = signed_in("owner").get(f"/path/?{query}")

    assert response.status_code == 200
    error = re.search(r'data-testid="period-error">(.*?)</div>', html(response), re.S)
    assert error and message in error.group(1), html(response)[:200]
    assert "23.08.2026" in error.group(1)  # the default period is shown instead
    assert page_data(response)["sankey"]["links"]


def test_overview_without_statuses_says_what_to_do(signed_in):
    StatusEvent.objects.all().delete()

    response = signed_in("owner").get("/path/")

    assert response.status_code == 200
    assert 'data-testid="path-empty"' in html(response)
    assert "romashka refresh" in html(response)


def test_partner_overview_counts_only_its_clients(signed_in):
    response = signed_in("partner").get("/path/")

    partner_counts = status_counts(user=user("partner"), on=TODAY)
    shown = tile_values(response)
    assert sum(v for k, v in shown.items() if k != "won_back") == partner_counts.total
    assert partner_counts.total < status_counts(user=user("owner"), on=TODAY).total


@pytest.mark.parametrize("url", ["/path/", "/path/fan/", "/path/fan/export.csv", "/path/fan/export.xlsx"])
def test_hr_is_refused_the_clients_path(signed_in, url):
    assert signed_in("hr").get(url).status_code == 403


def test_nav_links_to_the_clients_path(signed_in):
    page = html(signed_in("manager").get("/"))
    assert '<a href="/path/">Путь клиента</a>' in page


# --- lists per status ----------------------------------------------------------------------------------------


def test_status_list_shows_the_clients_with_that_status(signed_in, django_assert_max_num_queries):
    client = signed_in("owner")
    fans = StatusSnapshot.objects.filter(status=Status.FAN)

    with django_assert_max_num_queries(12):
        response = client.get("/path/fan/")

    assert response.status_code == 200
    ids = listed_client_ids(response)
    assert len(ids) == min(50, fans.count())
    assert ids <= set(fans.values_list("party_id", flat=True))
    newest = fans.order_by("-status_since", "party_id").first()
    assert f'href="/clients/{newest.party_id}/"' in html(response)
    assert f"{fans.count():,}".replace(",", "\u00a0") in html(response)


def test_status_list_query_count_does_not_grow_with_the_page(signed_in, django_assert_max_num_queries):
    client = signed_in("owner")
    with django_assert_max_num_queries(12):
        client.get("/path/lost/?page=2")


def test_status_list_filters_by_location_and_won_back(signed_in):
    client = signed_in("owner")
    arbat = Location.objects.get(code="MSK-02")

    response = client.get(f"/path/lost/?location={arbat.pk}&won_back=no")

    expected = set(
        StatusSnapshot.objects.filter(status=Status.LOST, won_back=False, party__home_location=arbat)
        .order_by("-status_since", "party_id")
        .values_list("party_id", flat=True)[:50]
    )
    assert expected and listed_client_ids(response) == expected


def test_won_back_filter_lists_only_won_back_clients(signed_in):
    response = signed_in("owner").get("/path/novice/?won_back=yes")

    won_back = set(StatusSnapshot.objects.filter(won_back=True).values_list("party_id", flat=True))
    assert listed_client_ids(response) <= won_back


def test_unknown_status_is_404(signed_in):
    assert signed_in("owner").get("/path/vip/").status_code == 404


def test_partner_list_holds_only_its_locations_clients(signed_in):
    response = signed_in("partner").get("/path/fan/")

    ids = listed_client_ids(response)
    codes = set(Party.objects.filter(pk__in=ids).values_list("home_location__code", flat=True))
    assert ids and codes <= PARTNER_CODES


def test_partner_gets_404_for_another_partners_location_and_client(signed_in):
    client = signed_in("partner")
    foreign = Location.objects.get(code="SPB-03")

    assert client.get(f"/path/fan/?location={foreign.pk}").status_code == 404
    assert client.get(f"/path/fan/export.csv?location={foreign.pk}").status_code == 404
    assert client.get(f"/clients/{guest_of('SPB-03').pk}/").status_code == 404


# --- exports -------------------------------------------------------------------------------------------------


def test_overdue_filter_lists_clients_past_their_own_rhythm_and_the_export_follows_it(signed_in):
    client = signed_in("owner")
    overdue = StatusSnapshot.objects.filter(status=Status.FAN, overdue=True)
    assert overdue.exists(), "the demo has fans past their own rhythm"

    response = client.get("/path/fan/?overdue=yes")

    assert listed_client_ids(response) == set(
        overdue.order_by("-status_since", "party_id").values_list("party_id", flat=True)[:50]
    )
    assert 'data-testid="overdue"' in response.content.decode()
    exported = csv_rows(client.get("/path/fan/export.csv?overdue=yes"))
    assert {int(row[0]) for row in exported[1:]} == set(overdue.values_list("party_id", flat=True))
    not_overdue = client.get("/path/fan/?overdue=no")
    assert listed_client_ids(not_overdue).isdisjoint(set(overdue.values_list("party_id", flat=True)))


def test_csv_export_holds_every_client_of_the_list(signed_in):
    response = signed_in("owner").get("/path/dormant/export.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="clients-dormant-')
    rows = csv_rows(response)
    dormant = StatusSnapshot.objects.filter(status=Status.DORMANT).select_related("party")
    assert rows[0][:3] == ["id", "id клиента", "название"]
    assert {int(row[0]) for row in rows[1:]} == set(dormant.values_list("party_id", flat=True))
    first = dormant.order_by("-status_since", "party_id").first()
    row = next(r for r in rows[1:] if int(r[0]) == first.party_id)
    assert row[6] == first.status_since.isoformat()
    assert row[-1] == f"{first.monetary:.2f}"


def test_partner_csv_export_holds_exactly_its_clients(signed_in):
    rows = csv_rows(signed_in("partner").get("/path/lost/export.csv"))

    expected = set(
        StatusSnapshot.objects.filter(status=Status.LOST, party__home_location__code__in=PARTNER_CODES)
        .values_list("party_id", flat=True)
    )
    assert expected and {int(row[0]) for row in rows[1:]} == expected


def test_xlsx_export_has_a_header_row_dates_and_numbers(signed_in):
    response = signed_in("partner").get("/path/fan/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "id" and rows[0][6] == "статус с"
    assert sheet.cell(row=1, column=1).font.bold
    expected = StatusSnapshot.objects.filter(status=Status.FAN, party__home_location__code__in=PARTNER_CODES)
    assert {row[0] for row in rows[1:]} == set(expected.values_list("party_id", flat=True))
    snapshot = expected.order_by("-status_since", "party_id").first()
    row = next(r for r in rows[1:] if r[0] == snapshot.party_id)
    assert row[6].date() == snapshot.status_since  # a real date cell, not text
    assert sheet.cell(row=2, column=7).is_date
    assert row[10] == snapshot.purchase_days
    assert round(float(row[11]), 2) == float(snapshot.monetary)


# --- the client card -----------------------------------------------------------------------------------------


def test_client_card_shows_the_status_since_and_the_timeline(signed_in):
    snapshot = StatusSnapshot.objects.filter(won_back=True).order_by("party_id").first()
    events = list(StatusEvent.objects.filter(party_id=snapshot.party_id).order_by("changed_on"))

    page = html(signed_in("owner").get(f"/clients/{snapshot.party_id}/"))

    status = re.search(r'data-testid="client-status">(.*?)</p>', page, re.S).group(1)
    assert f"chip big status-{snapshot.status}" in status
    assert str(Status(snapshot.status).label) in status
    assert f"с {snapshot.status_since:%d.%m.%Y}" in status
    assert "won-back" in status
    timeline = re.search(r'data-testid="status-timeline">(.*?)</section>', page, re.S).group(1)
    assert timeline.count("<tr>") == len(events) + 1
    for event in events:
        assert f"{event.changed_on:%d.%m.%Y}" in timeline
    assert "Чеки" in page  # the existing sections stay


def test_client_card_shows_the_personal_rhythm_beside_the_status(signed_in):
    snapshot = StatusSnapshot.objects.filter(overdue=True, rhythm_days__isnull=False).order_by("party_id").first()

    page = html(signed_in("owner").get(f"/clients/{snapshot.party_id}/"))

    status = re.search(r'data-testid="client-status">(.*?)</p>', page, re.S).group(1)
    assert f"chip big status-{snapshot.status}" in status  # the status stays; the rhythm stands beside it
    rhythm = re.search(r'data-testid="client-rhythm">(.*?)</span></span>', status, re.S).group(1)
    assert f"{snapshot.rhythm_days}".replace(".", ",") in rhythm
    assert "просрочил покупку" in rhythm
