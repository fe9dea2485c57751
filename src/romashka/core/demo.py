"""The demo network: a pancake-café franchise chain with believable guests, staff and partners.

Everything is drawn from one seeded random generator, so the same seed and end date give the same
network. Purchases are generated as NumPy arrays per guest rhythm and written in bulk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from romashka.core.bulk import bulk_insert, secondary_indexes_deferred, utc_datetime_text
from romashka.core.choices import ChannelKind, Gender, Ownership, PartyForm, PartyKind, Role
from romashka.core.models import (
    Channel,
    Department,
    Employee,
    Location,
    Organisation,
    Party,
    PartyRole,
)
from romashka.core.services import user_create

DEMO_PASSWORD = "romashka"  # noqa: S105 - the published demo password, printed by make run
DEMO_SOURCE = "demo-pos"


@dataclass(frozen=True)
class DemoSize:
    guests: int
    leads: int
    staff_per_location: int
    years: int
    prospects: int  # offices near the cafés, from a business-centre list: no contact yet, match the target profile


SIZES = {
    "small": DemoSize(guests=600, leads=60, staff_per_location=4, years=2, prospects=24),
    "medium": DemoSize(guests=40_000, leads=3_000, staff_per_location=8, years=3, prospects=400),
    "large": DemoSize(guests=200_000, leads=15_000, staff_per_location=12, years=3, prospects=2_000),
}

# Who uses the demo: one user per role (user name, role, first name, last name).
DEMO_USERS = [
    ("owner", Role.OWNER, "Ольга", "Романова"),
    ("crm", Role.CRM_MANAGER, "Марина", "Климова"),
    ("manager", Role.LOCATION_MANAGER, "Игорь", "Лебедев"),
    ("staff", Role.EMPLOYEE, "Анна", "Соколова"),
    ("hr", Role.HR, "Елена", "Кадырова"),
    ("partner", Role.FRANCHISE_PARTNER, "Сергей", "Блинов"),
    ("partner2", Role.FRANCHISE_PARTNER, "Анна", "Смирнова"),
    ("partner3", Role.FRANCHISE_PARTNER, "Павел", "Уральцев"),
    ("analyst", Role.ANALYST, "Денис", "Цифров"),
]
# Each franchise partner's login: the index of its partner in PARTNERS.
DEMO_PARTNER_LOGINS = {"partner": 0, "partner2": 1, "partner3": 2}

# (code, name, city, address, partner index or None, opened months before the end)
LOCATIONS = [
    ("MSK-01", "Блинная на Тверской", "Москва", "ул. Тверская, 12", None, 48),
    ("MSK-02", "Блинная на Арбате", "Москва", "ул. Арбат, 24", None, 44),
    ("MSK-03", "Блинная у Чистых прудов", "Москва", "Чистопрудный бульвар, 5", 0, 34),
    ("MSK-04", "Блинная в Сокольниках", "Москва", "ул. Русаковская, 31", 0, 26),
    ("SPB-01", "Блинная на Невском", "Санкт-Петербург", "Невский пр., 88", None, 46),
    ("SPB-02", "Блинная на Петроградской", "Санкт-Петербург", "Большой пр. П.С., 40", None, 38),
    ("SPB-03", "Блинная на Васильевском", "Санкт-Петербург", "6-я линия В.О., 15", 1, 30),
    ("KZN-01", "Блинная на Баумана", "Казань", "ул. Баумана, 44", None, 40),
    ("KZN-02", "Блинная у Кремля", "Казань", "ул. Кремлёвская, 9", 1, 22),
    ("EKB-01", "Блинная на Вайнера", "Екатеринбург", "ул. Вайнера, 10", None, 42),
    ("EKB-02", "Блинная на Плотинке", "Екатеринбург", "пр. Ленина, 36", None, 30),
    ("EKB-03", "Блинная в Академическом", "Екатеринбург", "ул. Вильгельма де Геннина, 3", 2, 16),
]
PARTNERS = ["ООО «Блинный дом»", "ИП Смирнова Анна Викторовна", "ООО «Урал-Блин»"]

DEPARTMENTS = [
    ("kitchen", "Кухня"),
    ("hall", "Зал"),
    ("delivery", "Доставка"),
    ("marketing", "Маркетинг"),
    ("hr", "Персонал (HR)"),
    ("purchasing", "Закупки"),
    ("it", "ИТ"),
    ("management", "Управление"),
]
# Staff of one location by department and position, in hiring order.
LOCATION_POSITIONS = [
    ("management", "Управляющий"),
    ("kitchen", "Повар"),
    ("hall", "Официант"),
    ("kitchen", "Повар"),
    ("hall", "Кассир"),
    ("delivery", "Курьер"),
    ("hall", "Официант"),
    ("kitchen", "Су-шеф"),
    ("hall", "Бариста"),
    ("delivery", "Курьер"),
    ("kitchen", "Повар-заготовщик"),
    ("hall", "Хостес"),
]
OFFICE_POSITIONS = [
    ("management", "Генеральный директор"),
    ("management", "Операционный директор"),
    ("marketing", "CRM-менеджер"),
    ("marketing", "Маркетолог"),
    ("hr", "HR-менеджер"),
    ("hr", "Рекрутер"),
    ("purchasing", "Менеджер по закупкам"),
    ("purchasing", "Товаровед"),
    ("it", "Системный администратор"),
    ("it", "Аналитик данных"),
    ("management", "Бухгалтер"),
]

SUPPLIERS = [
    # name, kind, weekly amount per location (₽), share of weeks with an order
    ("ООО «Мельница»", PartyKind.SUPPLIER, 38_000, 1.0),
    ("АО «Молочный край»", PartyKind.SUPPLIER, 52_000, 1.0),
    ("ООО «Птицефабрика Заря»", PartyKind.SUPPLIER, 21_000, 1.0),
    ("ООО «Кофе Бразерс»", PartyKind.SUPPLIER, 27_000, 0.5),
    ("ИП Чайный Путь", PartyKind.SUPPLIER, 9_000, 0.5),
    ("ООО «ЭкоУпаковка»", PartyKind.SUPPLIER, 14_000, 0.5),
    ("ООО «Ягоды Севера»", PartyKind.SUPPLIER, 31_000, 0.75),
    ("ООО «Мясной двор»", PartyKind.SUPPLIER, 44_000, 1.0),
    ("ООО «Чистый дом»", PartyKind.SUPPLIER, 6_000, 0.25),
    ("ООО «ТехСервис Общепит»", PartyKind.BUSINESS_PARTNER, 15_000, 0.1),
    ("ООО «Быстрая доставка»", PartyKind.BUSINESS_PARTNER, 25_000, 1.0),
    ("ООО «Сыроварня Углич»", PartyKind.SUPPLIER, 18_000, 0.75),
]
INVESTORS = [
    # name, form, investments (months before end, amount), yearly payout share of invested
    ("Петров Алексей Николаевич", PartyForm.PERSON, [(40, 6_000_000), (20, 4_000_000)], 0.22),
    ("ООО «Фонд Городские сервисы»", PartyForm.COMPANY, [(36, 15_000_000)], 0.18),
    ("Ковалёва Ирина Сергеевна", PartyForm.PERSON, [(14, 3_000_000)], 0.15),
]
COMMUNITY = [
    ("Масленица на Тверской", "city_event", 0, 4200, 180_000),
    ("Благотворительный завтрак для фонда «Старость в радость»", "foundation", 0, 300, 45_000),
    ("Форум предпринимателей общепита", "forum", 4, 650, 120_000),
    ("Мастер-класс по блинам для школьников", "education", 1, 120, 15_000),
    ("Городской фестиваль «Белые ночи вкуса»", "city_event", 4, 8000, 250_000),
    ("Помощь приюту «Лапа»", "foundation", 5, 200, 30_000),
    ("День города Казани", "city_event", 7, 5600, 140_000),
    ("Бизнес-завтрак с администрацией района", "forum", 9, 80, 25_000),
    ("Курсы поваров для студентов колледжа", "education", 9, 60, 40_000),
    ("Масленица в Екатеринбурге", "city_event", 9, 3900, 160_000),
    ("Сбор продуктов для фонда «Еда в дом»", "foundation", 2, 450, 20_000),
    ("Соседский праздник в Сокольниках", "city_event", 3, 900, 35_000),
    ("Открытая кухня: экскурсии для семей", "education", 7, 250, 12_000),
    ("Форум «Франшиза в регионах»", "forum", 0, 1200, 90_000),
    ("Благотворительный забег «Блинная миля»", "foundation", 10, 1500, 75_000),
]

MALE_FIRST = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл",
              "Михаил", "Никита", "Иван", "Роман", "Егор", "Павел", "Владимир", "Тимур", "Руслан", "Олег", "Денис"]
FEMALE_FIRST = ["Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Ольга", "Елена", "Дарья",
                "Алина", "Ирина", "Полина", "Татьяна", "Юлия", "Ксения", "Светлана", "Софья", "Алиса", "Вера", "Лилия"]
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
            "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
            "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
            "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Фролов", "Гусев", "Киселёв",
            "Ильин", "Максимов", "Поляков", "Сорокин", "Галиев", "Хабибуллин", "Сафин", "Гарипов"]
ACQUISITION = ["проходил мимо", "рекомендация", "Яндекс Карты", "2ГИС", "соцсети", "доставка", "сайт"]
# Prospects: companies near the cafés (corporate breakfasts and catering), known from a list, no contact yet.
OFFICE_KINDS = ["ООО «{}»", "АО «{}»", "ИП {}", "ООО «{} Групп»", "ООО «{}-Сервис»"]
OFFICE_WORDS = ["Вектор", "Альфа", "Север", "Гранит", "Квант", "Меридиан", "Орбита", "Сфера", "Прогресс",
                "Логос", "Стандарт", "Импульс", "Созвездие", "Континент", "Ладога", "Парус"]
PROSPECT_SOURCE = "список бизнес-центров"
CATEGORIES = ["блины", "блины", "блины", "напитки", "напитки", "супы", "десерты", "доставка"]

# Guest rhythms: share, mean gap in days, mean active life in days (None: stays), kind.
RHYTHMS = [
    ("weekly", 0.14, 5.0, 1100.0),
    ("monthly", 0.30, 16.0, 1100.0),
    ("occasional", 0.18, 50.0, 1000.0),
    ("tourist", 0.22, 0.0, 0.0),
    ("drifter", 0.12, 10.0, 200.0),
    ("comeback", 0.06, 14.0, 1000.0),
]

# Guests of locations open before the history starts may have begun visiting up to this long before it.
EXISTING_BASE_DAYS = 400

Progress = Callable[[str, int, int], None]


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def _person_name(rng: np.random.Generator, gender: str) -> str:
    surname = SURNAMES[rng.integers(len(SURNAMES))]
    if gender == Gender.FEMALE:
        surname = surname[:-1] + "ой" if surname.endswith("ий") else surname + "а"
        first = FEMALE_FIRST[rng.integers(len(FEMALE_FIRST))]
    else:
        first = MALE_FIRST[rng.integers(len(MALE_FIRST))]
    return f"{surname} {first}"


def _phone(rng: np.random.Generator, number: int | None = None) -> tuple[str, str]:
    """A mobile number as people write it and as +7…; a given number makes it unique."""
    if number is None:
        number = int(rng.integers(0, 10**9))
    digits = f"9{number % 10**9:09d}"
    style = rng.integers(3)
    shown = (
        f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
        if style == 0
        else f"8{digits}" if style == 1 else f"+7{digits}"
    )
    return shown, "+7" + digits


def _utc_offset_seconds(time_zone: str, start: date, until: date) -> int:
    """The zone's UTC offset; the demo's vectorised clock needs one that holds over the whole history."""
    zone = ZoneInfo(time_zone)
    offsets = {zone.utcoffset(datetime(d.year, d.month, d.day, 12)) for d in (start, until, start.replace(month=7, day=1))}
    if len(offsets) != 1:
        raise ValueError(f"the demo needs a time zone without daylight saving; {time_zone} has {len(offsets)} offsets")
    return int(offsets.pop().total_seconds())


def _months_before(end: date, months: int) -> date:
    return end - timedelta(days=round(months * 30.44))


@transaction.atomic
def demo_network_create(
    *, size: str = "medium", seed: int = 7, until: date | None = None, progress: Progress = _noop
) -> dict[str, int]:
    """Builds the demo network into an empty database; returns what it created, by kind."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; expected one of {', '.join(SIZES)}")
    if Organisation.objects.exists():
        raise ValueError("the database already holds an organisation; the demo loads into an empty database")
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    until = until or timezone.localdate()
    counts: dict[str, int] = {}

    progress("organisation", 0, 1)
    org = Organisation.objects.create(name="Блинная сеть «Ромашка»", time_zone="Europe/Moscow", default_cycle_days=60)

    partners = _parties(org, [(name, PartyForm.COMPANY if name.startswith("ООО") else PartyForm.PERSON)
                              for name in PARTNERS], PartyKind.FRANCHISE_PARTNER)
    locations = Location.objects.bulk_create(
        [
            Location(
                organisation=org,
                code=code,
                name=name,
                city=city,
                address=address,
                ownership=Ownership.OWN if partner_index is None else Ownership.FRANCHISE,
                partner=None if partner_index is None else partners[partner_index],
                opened_on=_months_before(until, months),
            )
            for code, name, city, address, partner_index, months in LOCATIONS
        ]
    )
    departments = {code: d for code, d in zip(
        [c for c, _ in DEPARTMENTS],
        Department.objects.bulk_create([Department(organisation=org, code=c, name=n) for c, n in DEPARTMENTS]),
        strict=True,
    )}
    counts["locations"] = len(locations)

    progress("staff", 0, 1)
    employees = _staff(org, rng, spec, until, locations, departments)
    counts["employees"] = len(employees)

    progress("guests", 0, spec.guests)
    start = until - timedelta(days=365 * spec.years - 1)
    guest_ids, guest_home = _guests(org, rng, spec, start, until, locations)
    counts["guests"] = len(guest_ids)
    counts["leads"] = spec.leads
    # Drawn from a jumped copy, so that adding prospects left the rest of the demo as it was.
    counts["prospects"] = _prospects(org, np.random.Generator(rng.bit_generator.jumped(2)), spec, until, locations)

    purchases = _purchases(org, rng, start, until, locations, guest_ids, guest_home, progress)
    counts["purchases"] = purchases

    progress("partners", 0, 1)
    counts.update(_suppliers_investors_community(org, rng, until, locations))
    _users(org, locations, partners, employees)
    counts["users"] = len(DEMO_USERS)
    from romashka.path.refresh import status_refresh_logged

    progress("statuses", 0, 1)
    counts["status events"] = status_refresh_logged(organisation=org, as_of=until)["events"]
    from romashka.touches.demo import demo_touches_create

    progress("touches", 0, 1)
    # The small demo (the tests' network) keeps its purchases exactly; larger ones get the planted effect.
    counts.update(demo_touches_create(organisation=org, until=until, plant_effect=size != "small"))
    from romashka.planning.demo import demo_targets_create

    counts["revenue targets"] = demo_targets_create(organisation=org, until=until)
    from romashka.chamomile.demo import demo_petal_targets_create

    counts["petal targets"] = demo_petal_targets_create(organisation=org, until=until)
    from romashka.feedback.demo import demo_feedback_create

    progress("surveys", 0, 1)
    counts.update(demo_feedback_create(organisation=org, until=until, size=size))
    from romashka.discovery.demo import demo_discovery_create

    progress("discovery", 0, 1)
    counts.update(demo_discovery_create(organisation=org, until=until, size=size))
    progress("statistics", 0, 1)
    refresh_planner_statistics()
    progress("done", 1, 1)
    return counts


def _parties(org: Organisation, names_forms: list[tuple[str, str]], kind: str) -> list[Party]:
    parties = Party.objects.bulk_create([Party(organisation=org, name=n, form=f) for n, f in names_forms])
    PartyRole.objects.bulk_create([PartyRole(party=p, kind=kind) for p in parties])
    return parties


def _staff(org, rng, spec: DemoSize, until: date, locations: list[Location], departments) -> list[Employee]:
    """Location teams and the office, with exits and the replacements hired after them."""
    rows: list[tuple[Location | None, str, str, date, date | None]] = []
    for location in locations:
        for department, position in LOCATION_POSITIONS[: spec.staff_per_location]:
            hired = location.opened_on - timedelta(days=int(rng.integers(5, 40)))
            # Hall and delivery turn over faster than management, as in real cafés.
            mean_stay = {"management": 2400, "kitchen": 1500, "hall": 1000, "delivery": 800}[department]
            while hired < until:
                stay = int(rng.exponential(mean_stay)) + 20
                left = hired + timedelta(days=stay)
                rows.append((location, department, position, hired, left if left < until else None))
                if left >= until:
                    break
                hired = left + timedelta(days=int(rng.integers(3, 30)))
    office_start = min(loc.opened_on for loc in locations)
    for department, position in OFFICE_POSITIONS:
        rows.append((None, department, position, office_start - timedelta(days=int(rng.integers(0, 200))), None))

    genders = [Gender.FEMALE if rng.random() < 0.55 else Gender.MALE for _ in rows]
    parties = Party.objects.bulk_create(
        [
            Party(organisation=org, name=_person_name(rng, g), gender=g, home_location=loc, city=(loc.city if loc else "Москва"))
            for (loc, *_rest), g in zip(rows, genders, strict=True)
        ]
    )
    PartyRole.objects.bulk_create([PartyRole(party=p, kind=PartyKind.EMPLOYEE, since=r[3]) for p, r in zip(parties, rows, strict=True)])
    channels = []
    for party in parties:
        shown, normalized = _phone(rng)
        channels.append(Channel(party=party, kind=ChannelKind.PHONE, value=shown, normalized=normalized, is_primary=True))
    Channel.objects.bulk_create(channels)
    return Employee.objects.bulk_create(
        [
            Employee(party=p, location=loc, department=departments[dep], position=pos, hired_on=hired, left_on=left)
            for p, (loc, dep, pos, hired, left) in zip(parties, rows, strict=True)
        ]
    )


def _guests(org, rng, spec: DemoSize, start: date, until: date, locations: list[Location]):
    """Guests and leads with card numbers or phones as ids, consent per channel; bulk-inserted.

    Returns the guests' party ids and home location indexes; leads (a contact, no purchase) follow
    the guests and get no purchases.
    """
    total = spec.guests + spec.leads
    # Bigger, older locations draw more guests.
    weights = np.array([max((until - loc.opened_on).days, 60) for loc in locations], dtype=float)
    weights *= np.array([1.4 if loc.city == "Москва" else 1.0 for loc in locations])
    home = rng.choice(len(locations), size=total, p=weights / weights.sum())
    female = rng.random(total) < 0.58
    first = np.where(female, np.array(FEMALE_FIRST, dtype=object)[rng.integers(len(FEMALE_FIRST), size=total)],
                     np.array(MALE_FIRST, dtype=object)[rng.integers(len(MALE_FIRST), size=total)])
    surname = np.array(SURNAMES, dtype=object)[rng.integers(len(SURNAMES), size=total)]
    has_birthday = rng.random(total) < 0.6
    birthday_days = (rng.integers(16, 70, size=total) * 365.25 + rng.integers(0, 365, size=total)).astype(int)
    has_card = rng.random(total) < 0.75
    card_numbers = rng.permutation(total) + 1000
    has_phone = (rng.random(total) < 0.85) | ~has_card
    phone_base = int(rng.integers(0, 10**9))
    phone_style = rng.integers(3, size=total)
    acquisition = rng.integers(len(ACQUISITION), size=total)
    phone_consent = rng.random(total) < 0.7
    phone_withdrawn = rng.random(total) < 0.04
    has_email = rng.random(total) < 0.35
    email_consent = rng.random(total) < 0.6
    consent_days = rng.integers(1, 900, size=total)
    withdrawn_days = rng.integers(1, 60, size=total)

    now = timezone.now().replace(microsecond=0)
    now_text = now.strftime("%Y-%m-%d %H:%M:%S") + ("+00" if connection.vendor == "postgresql" else "")
    org_id = org.pk
    location_ids = [loc.pk for loc in locations]
    cities = [loc.city for loc in locations]
    normalized_phone: list[str | None] = [None] * total
    shown_phone: list[str | None] = [None] * total
    external: list[str] = []
    for i in range(total):
        if has_phone[i]:
            # A stride coprime with 10**9 keeps every guest's number distinct.
            digits = f"9{(phone_base + i * 7919) % 10**9:09d}"
            normalized_phone[i] = "+7" + digits
            style = phone_style[i]
            shown_phone[i] = (f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}" if style == 0
                              else f"8{digits}" if style == 1 else "+7" + digits)
        # Card numbers keep their leading zeros; guests without a card are known by their phone.
        external.append(f"{card_numbers[i]:010d}" if has_card[i] else normalized_phone[i])

    # When each entered the base: guests with the history's start, leads (recent contacts) over the last year.
    utc_suffix = now_text[19:]
    lead_days_ago = rng.integers(0, 365, size=total)

    def recorded(i: int) -> str:
        day = start if i < spec.guests else until - timedelta(days=int(lead_days_ago[i]))
        return f"{day.isoformat()} 09:00:00{utc_suffix}"

    def party_rows():
        for i in range(total):
            female_i = bool(female[i])
            last = surname[i]
            if female_i:
                last = last[:-2] + "ая" if last.endswith("ий") else last + "а"
            birthday = (until - timedelta(days=int(birthday_days[i]))).isoformat() if has_birthday[i] else None
            yield (org_id, PartyForm.PERSON.value, f"{last} {first[i]}", external[i], location_ids[home[i]], birthday,
                   Gender.FEMALE.value if female_i else Gender.MALE.value, cities[home[i]],
                   ACQUISITION[acquisition[i]], "", recorded(i))

    bulk_insert(Party, ["organisation", "form", "name", "external_id", "home_location", "birthday", "gender", "city",
                        "acquisition_channel", "notes", "created_at"], party_rows())
    id_of = dict(Party.objects.filter(organisation=org, external_id__in=external).values_list("external_id", "id"))
    party_ids = [id_of[e] for e in external]
    bulk_insert(PartyRole, ["party", "kind"], ((pid, PartyKind.GUEST.value) for pid in party_ids))

    def stamp(days_ago: int) -> str:
        return (now - timedelta(days=int(days_ago))).strftime("%Y-%m-%d %H:%M:%S") + utc_suffix

    def channel_rows():
        for i in range(total):
            pid = party_ids[i]
            if has_phone[i]:
                consent = bool(phone_consent[i])
                yield (pid, ChannelKind.PHONE.value, shown_phone[i], normalized_phone[i], True,
                       stamp(consent_days[i]) if consent else None, "анкета в кафе" if consent else "",
                       stamp(withdrawn_days[i]) if consent and phone_withdrawn[i] else None)
            if has_email[i]:
                email = f"guest{pid}@example.ru"
                consent = bool(email_consent[i])
                yield (pid, ChannelKind.EMAIL.value, email, email, not has_phone[i],
                       stamp(consent_days[i]) if consent else None, "сайт" if consent else "", None)

    bulk_insert(Channel, ["party", "kind", "value", "normalized", "is_primary", "consent_at", "consent_source",
                          "consent_withdrawn_at"], channel_rows())
    return party_ids[: spec.guests], home[: spec.guests]


def _record_guests_at_first_visit(guest_ids, owner: np.ndarray, day: np.ndarray, start: date, rng) -> None:
    """Guests who first came within the history entered the base on that day (a loyalty card at the till),
    a fifth of them up to a month before (signed up on the site): leads until the first purchase.

    Guests of the base before the history (first visit on its first day or never) keep its start.
    """
    firsts, index = np.unique(owner, return_index=True)
    first_day = day[index]
    later = first_day > 0
    firsts, first_day = firsts[later], first_day[later]
    early = rng.random(firsts.size) < 0.2
    signup_day = np.maximum(first_day - np.where(early, rng.integers(1, 31, size=firsts.size), 0), 0)
    ids = np.array(guest_ids, dtype=np.int64)[firsts]
    suffix = "+00" if connection.vendor == "postgresql" else ""
    table = connection.ops.quote_name(Party._meta.db_table)
    with connection.cursor() as cursor:
        # One UPDATE per day (about a thousand), each for at most 900 ids (SQLite's limit of parameters).
        for signup in np.unique(signup_day).tolist():
            stamp = f"{(start + timedelta(days=int(signup))).isoformat()} 06:00:00{suffix}"
            on_day = ids[signup_day == signup].tolist()
            for chunk_start in range(0, len(on_day), 900):
                chunk = on_day[chunk_start : chunk_start + 900]
                cursor.execute(
                    f"UPDATE {table} SET created_at = %s WHERE id IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608 - table from model metadata, values bound
                    [stamp, *chunk],
                )


def _prospects(org, rng, spec: DemoSize, until: date, locations: list[Location]) -> int:
    """Companies near the cafés from a business-centre list: no contact, match the "offices" target profile."""
    from romashka.path.models import TargetProfile

    cities = sorted({loc.city for loc in locations})
    TargetProfile.objects.create(organisation=org, name="Офисы рядом с блинными", form=PartyForm.COMPANY,
                                 cities=", ".join(cities), acquisition_channels=PROSPECT_SOURCE)
    where = rng.integers(len(locations), size=spec.prospects)
    words = rng.integers(len(OFFICE_WORDS), size=spec.prospects)
    days_ago = rng.integers(0, 180, size=spec.prospects)
    parties = Party.objects.bulk_create([
        # Known by their taxpayer number (ИНН, ten digits for a company).
        Party(organisation=org, form=PartyForm.COMPANY, home_location=locations[where[i]], external_id=f"77{10**7 + i * 37:08d}",
              name=f"{OFFICE_KINDS[i % len(OFFICE_KINDS)].format(OFFICE_WORDS[words[i]])} №{i + 1}",
              city=locations[where[i]].city, acquisition_channel=PROSPECT_SOURCE)
        for i in range(spec.prospects)
    ])
    # created_at is set on insert; the list came in over the last half year.
    for ago in np.unique(days_ago).tolist():
        recorded = timezone.make_aware(datetime.combine(until - timedelta(days=ago), time(9)))
        Party.objects.filter(pk__in=[parties[i].pk for i in np.nonzero(days_ago == ago)[0]]).update(created_at=recorded)
    PartyRole.objects.bulk_create([PartyRole(party=party, kind=PartyKind.GUEST) for party in parties])
    return len(parties)


def visit_days(rng: np.random.Generator, *, span: int, opened: np.ndarray, guest_home: np.ndarray):
    """(guest index, day index) of every visit, sorted; guests follow the RHYTHMS mix.

    Day 0 is the first day of the history; a guest may have started before it (an existing base).
    """
    n = guest_home.size
    names = [r[0] for r in RHYTHMS]
    shares = np.array([r[1] for r in RHYTHMS])
    rhythm = rng.choice(len(RHYTHMS), size=n, p=shares / shares.sum())
    mean_gap = np.array([r[2] for r in RHYTHMS])[rhythm]
    mean_life = np.array([r[3] for r in RHYTHMS])[rhythm]
    # Arrivals grow over time (the network grows), never before the home location opened.
    first_min = np.where(opened[guest_home] > 0, opened[guest_home], -EXISTING_BASE_DAYS)
    first_day = first_min + ((span - first_min) * rng.power(1.15, size=n)).astype(int)
    first_day = np.minimum(first_day, span - 1)
    life = rng.exponential(np.maximum(mean_life, 1.0))
    tourist = rhythm == names.index("tourist")
    # Each guest keeps a personal rhythm around its type's mean.
    personal_gap = np.where(tourist, 1.0, mean_gap * rng.lognormal(0.0, 0.35, size=n))
    reach = np.minimum(life, span - first_day + 600)
    draws = np.where(tourist, 1, np.ceil(reach / np.maximum(personal_gap, 1.0) * 1.3).astype(int) + 2)
    owner = np.repeat(np.arange(n), draws)
    shape = 2.5
    gaps = rng.gamma(shape, personal_gap[owner] / shape)
    group_start = np.concatenate(([0], np.cumsum(draws)[:-1]))
    gaps[group_start] = 0.0  # the first draw is the first visit itself
    csum = np.cumsum(gaps)
    offset = csum - np.repeat(csum[group_start], draws)
    day = first_day[owner] + np.floor(offset).astype(int)
    keep = offset <= life[owner]
    # Comebacks: a long break after part of their life, then they return.
    comeback = rhythm == names.index("comeback")
    pause_at = life * rng.uniform(0.2, 0.5, size=n)
    pause = rng.integers(300, 520, size=n)
    shift = comeback[owner] & (offset > pause_at[owner])
    day = day + np.where(shift, pause[owner], 0)
    keep &= (day < span) & (day >= 0)
    owner, day = owner[keep], day[keep]
    # A few tourists come back once within days.
    second = np.nonzero(tourist & (rng.random(n) < 0.15))[0]
    second_day = first_day[second] + rng.integers(1, 6, size=second.size)
    ok = (second_day < span) & (second_day >= 0)
    owner = np.concatenate((owner, second[ok]))
    day = np.concatenate((day, second_day[ok]))
    order = np.lexsort((day, owner))
    return owner[order], day[order]


def _purchases(org, rng, start: date, until: date, locations, guest_ids, guest_home, progress: Progress) -> int:
    """Purchases of every guest's visits, several receipts on some days, refunds; bulk-inserted."""
    from romashka.path.models import ImportBatch, Purchase

    n = len(guest_ids)
    span = (until - start).days + 1
    opened = np.array([max((loc.opened_on - start).days, 0) for loc in locations])
    owner, day = visit_days(rng, span=span, opened=opened, guest_home=guest_home)
    # A jumped copy draws the sign-up days without shifting the stream the rest of the demo draws from.
    _record_guests_at_first_visit(guest_ids, owner, day, start, np.random.Generator(rng.bit_generator.jumped()))
    # Some visits have two receipts a day (coffee to go).
    twice = rng.random(owner.size) < 0.04
    owner = np.concatenate((owner, owner[twice]))
    day = np.concatenate((day, day[twice]))
    count = owner.size

    # Where: the home location mostly, another one of the same city sometimes, never before it opened.
    location = guest_home[owner].copy()
    city_of = np.array([loc.city for loc in locations])
    away = rng.random(count) < 0.08
    for city in np.unique(city_of):
        members = np.nonzero(city_of == city)[0]
        mask = away & (city_of[location] == city)
        location[mask] = rng.choice(members, size=int(mask.sum()))
    location = np.where(day < opened[location], guest_home[owner], location)

    ticket = rng.lognormal(np.log(620.0), 0.35, size=n)
    amount = np.round(ticket[owner] * rng.lognormal(0.0, 0.3, size=count), 0)
    amount = np.maximum(amount, 90.0)
    kopecks = rng.random(count) < 0.2
    amount = amount + np.where(kopecks, rng.integers(0, 100, size=count) / 100.0, 0.0)
    hour = np.clip(rng.normal(14.0, 3.5, size=count), 8, 22.99)
    seconds = (hour * 3600).astype(int)
    # Local time to UTC with the organisation's offset (Moscow keeps UTC+3 all year, no daylight saving).
    utc_offset = _utc_offset_seconds(org.time_zone, start, until)
    start64 = np.datetime64(start.isoformat(), "s")
    occurred = start64 + (day.astype("int64") * 86400 + seconds - utc_offset).astype("timedelta64[s]")
    local_day = np.datetime64(start.isoformat(), "D") + day.astype("timedelta64[D]")

    # Refunds: about 1.5% of receipts, mostly partial, some full, on the same day or days later.
    refund = rng.random(count) < 0.015
    r_idx = np.nonzero(refund)[0]
    full = rng.random(r_idx.size) < 0.35
    r_amount = -np.where(full, amount[r_idx], np.round(amount[r_idx] * rng.uniform(0.1, 0.6, size=r_idx.size), 2))
    r_delay = np.where(rng.random(r_idx.size) < 0.7, 0, rng.integers(1, 4, size=r_idx.size))
    r_day = np.minimum(day[r_idx] + r_delay, span - 1)
    r_occurred = start64 + (r_day.astype("int64") * 86400 + seconds[r_idx] + 1800 - utc_offset).astype("timedelta64[s]")
    r_local = np.datetime64(start.isoformat(), "D") + r_day.astype("timedelta64[D]")

    all_owner = np.concatenate((owner, owner[r_idx]))
    all_location = np.concatenate((location, location[r_idx]))
    all_amount = np.concatenate((amount, r_amount))
    all_occurred = np.concatenate((occurred, r_occurred))
    all_local = np.concatenate((local_day, r_local))
    kind = np.concatenate((np.zeros(count, dtype=int), np.ones(r_idx.size, dtype=int)))
    category = rng.integers(len(CATEGORIES), size=all_owner.size)
    total = all_owner.size

    batch = ImportBatch.objects.create(organisation=org, source=DEMO_SOURCE, filename="demo", rows_accepted=total)
    party_ids = np.array(guest_ids, dtype=np.int64)[all_owner].tolist()
    location_ids = np.array([loc.pk for loc in locations], dtype=np.int64)[all_location].tolist()
    location_codes = [loc.code for loc in locations]
    refs = [
        f"{location_codes[loc]}-{'R' if k else 'S'}{i:08d}"
        for i, (loc, k) in enumerate(zip(all_location.tolist(), kind.tolist(), strict=True))
    ]
    amounts = [f"{a:.2f}" for a in all_amount.tolist()]
    occurred_text = utc_datetime_text(all_occurred)
    day_text = np.datetime_as_string(all_local, unit="D").tolist()
    categories = [CATEGORIES[c] for c in category.tolist()]
    org_id, batch_id = org.pk, batch.pk

    def rows():
        for i in range(total):
            if i % 100_000 == 0:
                progress("purchases", i, total)
            yield (org_id, party_ids[i], location_ids[i], occurred_text[i], day_text[i], amounts[i],
                   DEMO_SOURCE, refs[i], categories[i], batch_id)

    with secondary_indexes_deferred(Purchase):
        written = bulk_insert(
            Purchase,
            ["organisation", "party", "location", "occurred_at", "purchased_on", "amount", "source", "receipt_ref",
             "category", "batch"],
            rows(),
        )
    progress("purchases", total, total)
    return written


def _suppliers_investors_community(org, rng, until: date, locations: list[Location]) -> dict[str, int]:
    from romashka.chamomile.models import CommunityInitiative, Investment, Payout, SupplierOrder

    suppliers = []
    for name, kind, _weekly, _share in SUPPLIERS:
        suppliers += _parties(org, [(name, PartyForm.COMPANY if not name.startswith("ИП") else PartyForm.PERSON)], kind)
    orders = []
    for supplier, (_name, _kind, weekly, share) in zip(suppliers, SUPPLIERS, strict=True):
        for location in locations:
            week = location.opened_on
            number = 0
            # Orders grow about 12% a year with the guests' flow.
            while week <= until:
                if rng.random() < share:
                    years_back = (until - week).days / 365.0
                    amount = weekly / share * (1.12 ** -years_back) * rng.lognormal(0, 0.15)
                    number += 1
                    orders.append(SupplierOrder(
                        organisation=org, supplier=supplier, location=location, ordered_on=week,
                        amount=Decimal(f"{amount:.2f}"), reference=f"{location.code}-{supplier.pk}-{number:04d}",
                    ))
                week += timedelta(days=7)
    SupplierOrder.objects.bulk_create(orders, batch_size=5000)

    investments, payouts = [], []
    for name, form, rounds, yearly in INVESTORS:
        (investor,) = _parties(org, [(name, form)], PartyKind.INVESTOR)
        invested = 0.0
        for months, amount in rounds:
            invested_on = _months_before(until, months)
            investments.append(Investment(organisation=org, investor=investor, invested_on=invested_on,
                                          amount=Decimal(amount), note="раунд"))
        first = _months_before(until, max(m for m, _ in rounds))
        quarter = first + timedelta(days=182)
        while quarter <= until:
            invested = sum(a for m, a in rounds if _months_before(until, m) <= quarter)
            payouts.append(Payout(organisation=org, investor=investor, paid_on=quarter,
                                  amount=Decimal(f"{invested * yearly / 4 * rng.uniform(0.7, 1.2):.2f}"),
                                  note="дивиденды за квартал"))
            quarter += timedelta(days=91)
    Investment.objects.bulk_create(investments)
    Payout.objects.bulk_create(payouts)

    community_parties = _parties(
        org,
        [("Администрация района", PartyForm.COMPANY), ("Фонд «Старость в радость»", PartyForm.COMPANY),
         ("Колледж сервиса и туризма", PartyForm.COMPANY)],
        PartyKind.COMMUNITY,
    )
    initiatives = []
    for i, (title, kind, loc_index, reach, cost) in enumerate(COMMUNITY):
        held_on = until - timedelta(days=int(30 + i * 60 + rng.integers(0, 30)))
        initiatives.append(CommunityInitiative(
            organisation=org, title=title, kind=kind, held_on=held_on, location=locations[loc_index],
            reach=reach, cost=Decimal(cost),
        ))
    initiatives = CommunityInitiative.objects.bulk_create(initiatives)
    for i, initiative in enumerate(initiatives):
        initiative.partners.add(community_parties[i % len(community_parties)])
    return {"suppliers": len(suppliers), "supplier_orders": len(orders), "investments": len(investments),
            "payouts": len(payouts), "initiatives": len(initiatives)}


def _users(org, locations: list[Location], partners: list[Party], employees: list[Employee]) -> None:
    """One demo user per role; the manager and the employee are staff of the first own location."""
    first_own = next(loc for loc in locations if loc.ownership == Ownership.OWN)
    for username, role, first, last in DEMO_USERS:
        location = first_own if role in (Role.LOCATION_MANAGER, Role.EMPLOYEE) else None
        user = user_create(
            organisation=org, username=username, password=DEMO_PASSWORD, role=role,
            first_name=first, last_name=last, email=f"{username}@romashka.example",
            location=location, partner=partners[DEMO_PARTNER_LOGINS[username]] if role == Role.FRANCHISE_PARTNER else None,
        )
        if role in (Role.LOCATION_MANAGER, Role.EMPLOYEE):
            position = "Управляющий" if role == Role.LOCATION_MANAGER else "Официант"
            staff = next(
                (e for e in employees if e.location_id == location.pk and e.left_on is None and e.user_id is None
                 and e.position == position),
                None,
            )
            if staff is not None:
                staff.user = user
                staff.party.name = f"{last} {first}"
                staff.party.save(update_fields=["name"])
                staff.save(update_fields=["user"])


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load, so the query planner scans instead of walking an index for a million rows."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def database_is_empty() -> bool:
    return not Organisation.objects.exists()
