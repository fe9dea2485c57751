"""The pages through HTTP: sign-in and lockout, every page for the owner, figures, scoping per role, language, CSRF."""

from __future__ import annotations

import csv
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Sum
from django.test import Client

from romashka.core.choices import ChannelKind, PartyKind
from romashka.core.demo import DEMO_PASSWORD
from romashka.core.models import Channel, Employee, Location, Party
from romashka.path.models import Purchase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]

NBSP = "\u00a0"
WRONG_PASSWORD_RU = "Неверное имя пользователя или пароль."
LOCKOUT_RU = "Слишком много неудачных попыток."
PARTNER_CODES = {"MSK-03", "MSK-04"}  # the locations of franchise partner #1, the demo user `partner`
OTHER_PARTNERS_CODES = ["SPB-03", "KZN-02", "EKB-03"]


# --- helpers -------------------------------------------------------------------------------------------------


def html(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    """The export's rows under its header; Russian exports use `;` and start with a BOM for Excel."""
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    return rows[1:]


def grouped(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


def roubles_whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def kpi(page: str, label: str) -> str:
    """The value shown on the dashboard tile with this label."""
    match = re.search(
        rf'<span class="label">{re.escape(label)}</span><span class="value">([^<]*)</span>', page
    )
    assert match, f"no dashboard tile {label!r}"
    return match.group(1)


def location(code: str) -> Location:
    return Location.objects.get(code=code)


def guest_of(code: str) -> Party:
    return Party.objects.filter(roles__kind=PartyKind.GUEST, home_location__code=code).order_by("id").first()


def guests_count() -> int:
    return Party.objects.filter(roles__kind=PartyKind.GUEST).distinct().count()


def is_signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def signed_out_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")


# --- sign-in -------------------------------------------------------------------------------------------------


def test_wrong_password_shows_a_plain_russian_message_and_does_not_sign_in():
    client = signed_out_client()  # the browser asks for English; the product still starts in Russian

    response = client.post("/login/", {"username": "owner", "password": "not-the-password"})

    assert response.status_code == 200
    assert WRONG_PASSWORD_RU in html(response)
    assert '<html lang="ru">' in html(response)
    assert not is_signed_in(client)


def test_unknown_user_gets_the_same_message_as_a_wrong_password():
    client = signed_out_client()

    response = client.post("/login/", {"username": "nobody-here", "password": DEMO_PASSWORD})

    assert WRONG_PASSWORD_RU in html(response)
    assert not is_signed_in(client)


def test_four_wrong_passwords_do_not_lock_the_user_out(settings):
    settings.ROMASHKA_LOGIN_MAX_FAILURES = 5
    client = signed_out_client()
    for _attempt in range(4):
        client.post("/login/", {"username": "owner", "password": "wrong"})

    response = client.post("/login/", {"username": "owner", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert is_signed_in(client)


def test_after_five_wrong_passwords_the_correct_password_is_refused(settings):
    settings.ROMASHKA_LOGIN_MAX_FAILURES = 5
    client = signed_out_client()
    for _attempt in range(5):
        client.post("/login/", {"username": "owner", "password": "wrong"})

    response = client.post("/login/", {"username": "owner", "password": DEMO_PASSWORD})

    assert response.status_code == 200
    assert LOCKOUT_RU in html(response)
    assert not is_signed_in(client)
    # Other users are not affected by the lock on `owner`.
    assert Client().post("/login/", {"username": "crm", "password": DEMO_PASSWORD}).status_code == 302


def test_lockout_holds_when_the_locked_user_name_is_written_differently(settings):
    """Django signs `ｏｗｎｅｒ` (full-width letters) in as `owner` after NFKC normalisation; the lock must follow."""
    settings.ROMASHKA_LOGIN_MAX_FAILURES = 5
    client = signed_out_client()
    for _attempt in range(5):
        client.post("/login/", {"username": "owner", "password": "wrong"})

    response = client.post("/login/", {"username": "ｏｗｎｅｒ", "password": DEMO_PASSWORD})

    assert LOCKOUT_RU in html(response)
    assert not is_signed_in(client)


def test_successful_login_redirects_home():
    client = Client()

    response = client.post("/login/", {"username": "owner", "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client)


def test_login_follows_a_local_next_page():
    response = Client().post("/login/", {"username": "owner", "password": DEMO_PASSWORD, "next": "/clients/"})

    assert response["Location"] == "/clients/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/clients/", "http://evil.example"]
)
def test_login_ignores_next_to_an_external_host(next_url):
    client = Client()

    response = client.post("/login/", {"username": "owner", "password": DEMO_PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client)


def test_logout_is_post_only(signed_in):
    client = signed_in("owner")

    assert client.get("/logout/").status_code == 405
    assert is_signed_in(client)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not is_signed_in(client)


def test_login_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "owner", "password": DEMO_PASSWORD})

    assert response.status_code == 403
    assert not is_signed_in(client)


def test_login_post_with_the_csrf_token_from_the_form_is_accepted():
    """The counterpart of the test above: the 403 there comes from the missing token, not from the form."""
    client = Client(enforce_csrf_checks=True)
    form = html(client.get("/login/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = client.post(
        "/login/", {"username": "owner", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert is_signed_in(client)


def test_pages_need_a_signed_in_user():
    response = Client().get("/clients/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/clients/")


# --- every page for the owner --------------------------------------------------------------------------------

PAGES = [
    "/",
    "/clients/",
    "/clients/{client}/",
    "/purchases/",
    "/locations/",
    "/locations/{location}/",
    "/staff/",
    "/partners/",
    "/data/",
    "/settings/",
    "/clients/export.csv",
    "/purchases/export.csv",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_opens_for_the_owner(signed_in, url):
    client = signed_in("owner")
    url = url.format(client=guest_of("MSK-01").pk, location=location("SPB-03").pk)

    response = client.get(url)

    assert response.status_code == 200
    if url.endswith(".csv"):
        assert response["Content-Type"].startswith("text/csv")
        assert len(csv_rows(response)) > 0
    else:
        assert "<main" in html(response)


def test_dashboard_shows_the_networks_figures_in_russian(signed_in):
    page = html(signed_in("owner").get("/"))

    revenue = Purchase.objects.aggregate(total=Sum("amount"))["total"]
    assert kpi(page, "Клиенты") == grouped(guests_count(), NBSP)
    assert kpi(page, "Покупки") == grouped(Purchase.objects.count(), NBSP)
    assert kpi(page, "Выручка") == f"{grouped(roubles_whole(revenue), NBSP)}{NBSP}₽"
    assert "Выручка по месяцам" in page
    assert 'data-testid="revenue-chart"' in page


def test_dashboard_of_a_franchise_partner_counts_only_its_locations(signed_in):
    page = html(signed_in("partner").get("/"))

    own = Purchase.objects.filter(location__code__in=PARTNER_CODES)
    guests = Party.objects.filter(
        roles__kind=PartyKind.GUEST, home_location__code__in=PARTNER_CODES
    ).distinct()
    assert kpi(page, "Клиенты") == grouped(guests.count(), NBSP)
    assert kpi(page, "Покупки") == grouped(own.count(), NBSP)
    revenue = own.aggregate(total=Sum("amount"))["total"]
    assert kpi(page, "Выручка") == f"{grouped(roubles_whole(revenue), NBSP)}{NBSP}₽"


# --- language ------------------------------------------------------------------------------------------------


def test_switching_to_english_turns_the_dashboard_english(signed_in):
    client = signed_in("owner")

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302

    page = html(client.get("/"))
    assert '<html lang="en">' in page
    assert "Revenue by month" in page
    assert "Выручка по месяцам" not in page
    revenue = Purchase.objects.aggregate(total=Sum("amount"))["total"]
    assert kpi(page, "Clients") == grouped(guests_count(), ",")
    assert kpi(page, "Purchases") == grouped(Purchase.objects.count(), ",")
    assert kpi(page, "Revenue") == f"₽{grouped(roubles_whole(revenue), ',')}"

    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert "Выручка по месяцам" in html(client.get("/"))


# --- query counts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/clients/", "/purchases/", "/clients/?page=2", "/purchases/?page=3"])
def test_list_pages_run_a_bounded_number_of_queries(signed_in, django_assert_max_num_queries, url):
    client = signed_in("owner")

    with django_assert_max_num_queries(15):
        response = client.get(url)

    assert response.status_code == 200


# --- scoping: franchise partner ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [*OTHER_PARTNERS_CODES, "MSK-01"])
def test_partner_gets_404_for_a_location_outside_its_network(signed_in, code):
    client = signed_in("partner")

    assert client.get(f"/locations/{location(code).pk}/").status_code == 404
    assert client.get(f"/purchases/?location={location(code).pk}").status_code == 404
    assert client.get(f"/purchases/export.csv?location={location(code).pk}").status_code == 404
    assert client.get(f"/clients/?location={location(code).pk}").status_code == 404


@pytest.mark.parametrize("code", sorted(PARTNER_CODES))
def test_partner_opens_its_own_locations(signed_in, code):
    assert signed_in("partner").get(f"/locations/{location(code).pk}/").status_code == 200


@pytest.mark.parametrize("code", [*OTHER_PARTNERS_CODES, "MSK-01"])
def test_partner_gets_404_for_a_client_of_another_location(signed_in, code):
    client = signed_in("partner")
    stranger = guest_of(code)

    assert client.get(f"/clients/{stranger.pk}/").status_code == 404
    assert client.get(f"/purchases/?client={stranger.pk}").status_code == 404
    assert stranger.name not in html(client.get("/clients/", {"q": stranger.external_id}))


def test_partner_opens_a_client_of_its_own_location(signed_in):
    own = guest_of("MSK-03")

    response = signed_in("partner").get(f"/clients/{own.pk}/")

    assert response.status_code == 200
    assert own.name in html(response)


def test_partner_purchases_page_lists_only_receipts_of_its_locations(signed_in):
    page = html(signed_in("partner").get("/purchases/"))

    receipts = re.findall(r'<td class="mono">([^<]+)</td>', page)
    assert len(receipts) == 50  # a full first page
    codes = set(Purchase.objects.filter(receipt_ref__in=receipts).values_list("location__code", flat=True))
    assert codes <= PARTNER_CODES
    newest_elsewhere = Purchase.objects.exclude(location__code__in=PARTNER_CODES).latest("occurred_at")
    assert newest_elsewhere.receipt_ref not in page


def test_partner_purchases_export_holds_exactly_the_receipts_of_its_locations(signed_in):
    rows = csv_rows(signed_in("partner").get("/purchases/export.csv"))

    assert {row[5] for row in rows} == PARTNER_CODES
    assert len(rows) == Purchase.objects.filter(location__code__in=PARTNER_CODES).count()


def test_partner_clients_export_holds_exactly_its_clients(signed_in):
    rows = csv_rows(signed_in("partner").get("/clients/export.csv"))

    expected = set(
        Party.objects.filter(roles__kind=PartyKind.GUEST, home_location__code__in=PARTNER_CODES).values_list(
            "id", flat=True
        )
    )
    assert {int(row[0]) for row in rows} == expected
    assert {row[3] for row in rows} == PARTNER_CODES


def test_partner_staff_page_lists_only_the_staff_of_its_locations(signed_in):
    page = html(signed_in("partner").get("/staff/?show=all"))

    shown = re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td>", page)
    expected = Employee.objects.filter(location__code__in=PARTNER_CODES)
    assert {name for name, _location in shown} == set(expected.values_list("party__name", flat=True))
    assert {loc for _name, loc in shown} == {location(code).name for code in PARTNER_CODES}


@pytest.mark.parametrize("url", ["/partners/", "/settings/"])
def test_partner_is_refused_network_wide_pages(signed_in, url):
    assert signed_in("partner").get(url).status_code == 403


# --- scoping: employee, HR, location manager -----------------------------------------------------------------


def test_employee_sees_only_the_clients_of_its_location(signed_in):
    client = signed_in("staff")

    page = html(client.get("/clients/"))

    home_names = set(
        re.findall(r'<a href="/clients/\d+/">[^<]+</a></td><td class="mono">[^<]*</td><td>([^<]*)</td>', page)
    )
    assert home_names == {location("MSK-01").name}
    shown = re.search(r'<p class="muted">([\d\u00a0]+) ', page).group(1).replace(NBSP, "")
    assert (
        int(shown) == Party.objects.filter(roles__kind=PartyKind.GUEST, home_location__code="MSK-01").count()
    )
    assert client.get(f"/clients/{guest_of('MSK-02').pk}/").status_code == 404
    assert client.get(f"/clients/{guest_of('MSK-01').pk}/").status_code == 200


def test_employee_cannot_export(signed_in):
    client = signed_in("staff")

    assert client.get("/clients/export.csv").status_code == 403
    assert client.get("/purchases/export.csv").status_code == 403


def test_hr_is_refused_clients_and_sees_staff_with_hire_dates(signed_in):
    client = signed_in("hr")

    assert client.get("/clients/").status_code == 403
    assert client.get(f"/clients/{guest_of('MSK-01').pk}/").status_code == 403
    page = html(client.get("/staff/?show=all"))
    assert "<th>Принят</th><th>Уволен</th>" in page
    someone = (
        Employee.objects.select_related("party", "location")
        .order_by("location__code", "department__name", "party__name")
        .first()
    )
    hired = someone.hired_on.strftime("%d.%m.%Y")
    assert re.search(rf"<tr><td>{re.escape(someone.party.name)}</td>.*?<td>{hired}</td>.*?</tr>", page)


def test_location_manager_sees_staff_without_hire_and_exit_dates(signed_in):
    page = html(signed_in("manager").get("/staff/?show=all"))

    assert "<th>Должность</th>" in page
    assert "Принят" not in page
    assert "Уволен" not in page
    assert not re.search(r"\d{2}\.\d{2}\.\d{4}", page)
    home_names = set(re.findall(r"<tr><td>[^<]+</td><td>([^<]*)</td>", page))
    assert home_names == {location("MSK-01").name}


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("owner", None),
        ("crm", None),
        ("analyst", None),
        ("hr", None),
        ("manager", {"MSK-01"}),
        ("staff", {"MSK-01"}),
        ("partner", PARTNER_CODES),
    ],
)
def test_locations_page_lists_the_locations_in_scope_for_every_role(signed_in, username, codes):
    """`None`: the whole network. HR sees no revenue, but still the locations its staff work at."""
    page = html(signed_in(username).get("/locations/"))

    shown = re.findall(r'<td class="mono">([^<]+)</td>', page)
    expected = codes if codes is not None else set(Location.objects.values_list("code", flat=True))
    assert sorted(shown) == sorted(expected)


# --- contacts: analyst masked, CRM manager full --------------------------------------------------------------


def phone_client() -> tuple[Party, Channel]:
    """A guest known by a phone number (no card) with a phone channel written in the +7 (9xx) style."""
    channel = (
        Channel.objects.filter(
            kind=ChannelKind.PHONE, party__external_id__startswith="+7", value__startswith="+7 ("
        )
        .select_related("party")
        .order_by("party_id")
        .first()
    )
    return channel.party, channel


def phone_forms(channel: Channel) -> list[str]:
    digits = channel.normalized[2:]
    return [channel.value, channel.normalized, digits]


def test_analyst_sees_masked_phones_on_a_client_card(signed_in):
    party, channel = phone_client()

    page = html(signed_in("analyst").get(f"/clients/{party.pk}/"))

    assert party.name in page
    for form in phone_forms(channel):
        assert form not in page
    assert channel.normalized[-2:] in page  # the masked form still lets a person recognise the number


def test_crm_manager_sees_the_full_phone_on_a_client_card(signed_in):
    party, channel = phone_client()

    page = html(signed_in("crm").get(f"/clients/{party.pk}/"))

    assert channel.value in page


def test_analyst_sees_no_full_phone_in_the_clients_list(signed_in):
    client = signed_in("analyst")
    party, channel = phone_client()

    page = html(client.get("/clients/", {"q": party.name}))

    assert f"/clients/{party.pk}/" in page
    for form in phone_forms(channel):
        assert form not in page


def test_analyst_exports_carry_no_phone_numbers(signed_in):
    client = signed_in("analyst")
    phones = set(Channel.objects.filter(kind=ChannelKind.PHONE).values_list("normalized", flat=True))

    for url in ("/clients/export.csv", "/purchases/export.csv"):
        cells = {cell for row in csv_rows(client.get(url)) for cell in row}
        assert not cells & phones, url
