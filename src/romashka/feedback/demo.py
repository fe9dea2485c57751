"""Demo surveys: a year of monthly client NPS and eNPS waves per location, quarterly internal service and
partner waves, with answers, personal links (used or not) and the recent detractors' follow-up calls.

The planted dependency: every location-month gets a "how well the staff are treated" level drawn around
that location-month's real fan retention (how many of its month-end fans were still fans a cycle later),
and both the staff's eNPS and the clients' NPS rise with it. So the link report finds that locations with
happier staff keep more fans and have happier clients, with an interval clear of zero on the medium demo.
Seeded: the same network gives the same answers.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

import numpy as np
from django.utils import timezone

from romashka.core.access import ROLE_CAPABILITIES, Scope
from romashka.core.choices import PartyKind, Role
from romashka.core.models import Department, Employee, Location, Organisation, Party
from romashka.feedback.choices import SurveyKind
from romashka.feedback.models import (
    Answer,
    DeliveryRating,
    InternalService,
    ServiceRating,
    StageRating,
    Survey,
    SurveyLink,
    Wave,
)
from romashka.feedback.selectors import fan_retention, months_back
from romashka.feedback.services import detractor_tasks_create, stages_ensure

SEED = 4242
# Who serves whom (provider → internal clients), by the demo's department codes.
SERVICES = {
    "kitchen": ["hall", "delivery"],
    "purchasing": ["kitchen", "hall"],
    "hr": ["kitchen", "hall", "delivery", "management"],
    "it": ["marketing", "management", "purchasing", "hr"],
    "marketing": ["hall", "management"],
    "management": ["kitchen", "hall", "delivery"],
}
# Each serving department's typical quality, speed, courtesy (1–5): purchasing is slow, IT curt.
SERVICE_MEANS = {
    "kitchen": (4.2, 3.6, 3.9), "purchasing": (3.6, 2.6, 3.8), "hr": (3.9, 3.4, 4.3),
    "it": (3.8, 3.3, 2.9), "marketing": (3.7, 3.9, 4.0), "management": (4.0, 3.5, 3.7),
}
# Mean 1–5 rating of each journey stage before the client's own mood; logistics lags.
STAGE_BASE = {"positioning": 3.9, "website": 3.6, "product": 4.3, "support": 3.8, "logistics": 3.1}
CLIENT_COMMENTS = {
    "detractor": ["Долго ждали заказ", "Блины были холодные", "Курьер опоздал на час", "Грубый кассир",
                  "Доставка привезла не то", "Дорого для такой порции", ""],
    "passive": ["В целом нормально", "Вкусно, но тесно", "Хотелось бы больше начинок", ""],
    "promoter": ["Очень вкусно!", "Отличный сервис", "Любимая блинная", "Быстро и вкусно", ""],
}
STAFF_COMMENTS = ["Не хватает людей в смене", "Хороший коллектив", "Хотелось бы понятный график", "Всё устраивает",
                  "Нужна новая плита", "", "", ""]
SURVEYS = [
    (SurveyKind.CLIENT, "Оценка визита", "Ответьте, пожалуйста, на пару вопросов о вашем визите — это займёт минуту.",
     "Please answer a couple of questions about your visit: it takes a minute."),
    (SurveyKind.EMPLOYEE, "Ежемесячный пульс сотрудников", "Анонимный опрос: ответы не связаны с вами.",
     "An anonymous survey: your answers are not linked to you."),
    (SurveyKind.INTERNAL, "Внутренний сервис", "Оцените отделы, которые вам помогают в работе.",
     "Rate the departments that help you in your work."),
    (SurveyKind.PARTNER, "Удовлетворённость франчайзи", "Как вам работается с нашей сетью?",
     "How is working with our network?"),
    (SurveyKind.DELIVERY, "Качество поставок", "Оцените поставки в вашу точку за квартал.",
     "Rate the deliveries to your location over the quarter."),
]


def _scores(rng: np.random.Generator, count: int, promoter: float, detractor: float) -> np.ndarray:
    """0–10 scores with the given shares of promoters (9–10) and detractors (0–6)."""
    promoter, detractor = float(np.clip(promoter, 0.02, 0.95)), float(np.clip(detractor, 0.01, 0.9))
    passive = max(0.0, 1 - promoter - detractor)
    total = promoter + detractor + passive
    band = rng.choice(3, size=count, p=[promoter / total, passive / total, detractor / total])
    return np.where(band == 0, rng.integers(9, 11, count), np.where(band == 1, rng.integers(7, 9, count),
                                                                      rng.choice(7, count, p=_DETRACTOR_SHAPE)))


_DETRACTOR_SHAPE = np.array([0.04, 0.03, 0.05, 0.10, 0.14, 0.28, 0.36])


def _treatment(organisation: Organisation, months: list[date], until: date, locations: list[Location],
               rng: np.random.Generator) -> dict[tuple[int, date], float]:
    """The staff-treatment level (about −1.5…1.5) per location-month, around the standardised fan retention."""
    scope = Scope(organisation.pk, Role.OWNER, None, ROLE_CAPABILITIES[Role.OWNER])
    retention = fan_retention(scope=scope, months=months, as_of=until, cycle_days=organisation.default_cycle_days)
    shares = {key: kept / fans for key, (fans, kept) in retention.items() if fans >= 10}
    values = np.array(list(shares.values())) if shares else np.array([0.5])
    mean, spread = float(values.mean()), float(values.std()) or 0.1
    level = {}
    for location in locations:
        own = [shares[(location.pk, m)] for m in months if (location.pk, m) in shares]
        location_mean = (np.mean(own) - mean) / spread if own else float(rng.normal(0, 0.7))
        for month in months:
            share = shares.get((location.pk, month))
            standard = (share - mean) / spread if share is not None else location_mean
            level[(location.pk, month)] = float(np.clip(0.8 * standard + 0.2 * location_mean + rng.normal(0, 0.35),
                                                        -2, 2))
    return level


def _link_rows(wave: Wave, rng: np.random.Generator, recipients: list[int], answered: set[int], location_id):
    """Links of a past wave (the tokens are thrown away): used where the recipient answered."""
    return [SurveyLink(wave=wave, token_hash=hashlib.sha256(rng.bytes(24)).hexdigest(), party_id=party_id,
                       location_id=location_id, expires_on=wave.expires_on, used=party_id in answered)
            for party_id in recipients]


def demo_feedback_create(*, organisation: Organisation, until: date, size: str = "medium") -> dict[str, int]:
    rng = np.random.default_rng(SEED)
    stages = {stage.code: stage for stage in stages_ensure(organisation=organisation)}
    departments = {d.code: d for d in Department.objects.filter(organisation=organisation)}
    InternalService.objects.bulk_create([
        InternalService(organisation=organisation, provider=departments[p], customer=departments[c])
        for p, customers in SERVICES.items() for c in customers if p in departments and c in departments])
    surveys = {kind: Survey.objects.create(organisation=organisation, kind=kind, name=name, intro_ru=ru, intro_en=en)
               for kind, name, ru, en in SURVEYS}
    locations = list(Location.objects.filter(organisation=organisation).order_by("pk"))
    months = months_back(until, 12)
    level = _treatment(organisation, months, until, locations, rng)
    guests_by_home: dict[int, list[int]] = {}
    for party_id, home_id in (Party.objects.filter(organisation=organisation, roles__kind=PartyKind.GUEST,
                                                   home_location__isnull=False)
                              .order_by("pk").values_list("pk", "home_location_id")):
        guests_by_home.setdefault(home_id, []).append(party_id)
    staff = list(Employee.objects.filter(party__organisation=organisation)
                 .values_list("party_id", "location_id", "department_id", "hired_on", "left_on"))
    department_code = {d.pk: code for code, d in departments.items()}
    client_per_month = 50 if size != "small" else 8
    from romashka.chamomile.models import SupplierOrder

    orders = list(SupplierOrder.objects.filter(organisation=organisation, ordered_on__gt=months[0] - timedelta(days=90))
                  .values_list("location_id", "supplier_id", "ordered_on"))
    # A generator of their own, so the deliveries leave the other answers as they were.
    delivery_rng = np.random.default_rng(SEED + 1)
    supplier_means = {supplier: delivery_rng.uniform(2.8, 4.7, 3) for supplier in sorted({o[1] for o in orders})}

    waves, links, answers, stage_rows, service_rows, delivery_rows = [], [], [], [], [], []

    def wave_of(kind: str, month: date, location_id: int | None) -> Wave:
        day = min(month + timedelta(days=4), until)
        wave = Wave(survey=surveys[kind], location_id=location_id, scheduled_on=day,
                    expires_on=day + timedelta(days=surveys[kind].link_days), links=0,
                    sent_at=timezone.make_aware(datetime.combine(day, time(10))))
        waves.append(wave)
        return wave

    plans = []  # (wave, recipients, answers to write as dicts)
    for month in months:
        month_end = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), until)
        for location in locations:
            if location.opened_on and location.opened_on > month_end:
                continue
            t = level[(location.pk, month)]
            # Clients: NPS rises with how the location's staff are treated.
            pool = guests_by_home.get(location.pk, [])
            count = min(len(pool), int(rng.poisson(client_per_month)))
            if count:
                wave = wave_of(SurveyKind.CLIENT, month, location.pk)
                invited = list(rng.choice(pool, size=min(len(pool), int(count * 2.5)), replace=False))
                scores = _scores(rng, count, 0.52 + 0.12 * t, 0.17 - 0.07 * t)
                span = max(1, (month_end - wave.scheduled_on).days + 1)
                rows = []
                for party_id, score in zip(invited[:count], scores, strict=False):
                    band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                    comments = CLIENT_COMMENTS[band]
                    day = wave.scheduled_on + timedelta(days=int(rng.integers(0, span)))
                    ratings = {code: int(np.clip(round(base + 0.3 * (score - 7.5) + rng.normal(0, 0.8)), 1, 5))
                               for code, base in STAGE_BASE.items() if code in stages and rng.random() < 0.8}
                    rows.append(({"kind": SurveyKind.CLIENT, "month": month, "location_id": location.pk,
                                  "party_id": int(party_id), "answered_on": min(day, until), "score": int(score),
                                  "comment": comments[int(rng.integers(len(comments)))]}, ratings, None))
                plans.append((wave, [int(p) for p in invited], {int(p) for p in invited[:count]}, location.pk, rows))
            # Staff: a monthly pulse to everyone employed at the location that month.
            employed = [(p, d) for p, loc, d, hired, left in staff
                        if loc == location.pk and hired <= month_end and (left is None or left > month_end)]
            if employed:
                wave = wave_of(SurveyKind.EMPLOYEE, month, location.pk)
                answering = [e for e in employed if rng.random() < 0.9]
                scores = _scores(rng, len(answering), 0.38 + 0.16 * t, 0.24 - 0.11 * t)
                rows = [({"kind": SurveyKind.EMPLOYEE, "month": month, "location_id": location.pk,
                          "department_id": department_id, "score": int(score),
                          "satisfaction": int(np.clip(round(3.5 + 0.55 * t + rng.normal(0, 0.8)), 1, 5)),
                          "comment": STAFF_COMMENTS[int(rng.integers(len(STAFF_COMMENTS)))]}, None, None)
                        for (_party, department_id), score in zip(answering, scores, strict=True)]
                # The answers are written shuffled, so their order says nothing about who answered first.
                rows = [rows[i] for i in rng.permutation(len(rows))]
                plans.append((wave, [p for p, _d in employed], {p for p, _d in answering}, location.pk, rows))
        if month.month % 3 == 0 or month == months[-1]:
            _quarterly(month, until, staff, department_code, departments, rng, wave_of, plans, locations)
            _deliveries(month, until, staff, departments, orders, supplier_means, delivery_rng, wave_of, plans)

    Wave.objects.bulk_create(waves, batch_size=1000)
    for wave, recipients, answered, location_id, rows in plans:
        wave.links = len(recipients)
        links += _link_rows(wave, rng, recipients, answered, location_id)
        for fields, ratings, services in rows:
            answers.append((Answer(organisation=organisation, survey=wave.survey, wave=wave, **fields),
                            ratings, services))
    Wave.objects.bulk_update(waves, ["links"], batch_size=1000)
    SurveyLink.objects.bulk_create(links, batch_size=2000)
    created = Answer.objects.bulk_create([a for a, _r, _s in answers], batch_size=2000)
    for answer, (_a, ratings, services) in zip(created, answers, strict=True):
        for code, rating in (ratings or {}).items():
            stage_rows.append(StageRating(answer=answer, stage=stages[code], rating=rating))
        if services and "deliveries" in services:
            delivery_rows += [DeliveryRating(answer=answer, supplier_id=supplier_id, on_time=on_time,
                                             complete=complete, quality=quality)
                              for supplier_id, (on_time, complete, quality) in services["deliveries"].items()]
            continue
        for provider_id, (quality, speed, courtesy) in (services or {}).items():
            service_rows.append(ServiceRating(answer=answer, provider_id=provider_id, quality=quality, speed=speed,
                                              courtesy=courtesy))
    StageRating.objects.bulk_create(stage_rows, batch_size=5000)
    ServiceRating.objects.bulk_create(service_rows, batch_size=5000)
    DeliveryRating.objects.bulk_create(delivery_rows, batch_size=5000)
    follow_ups = detractor_tasks_create(organisation=organisation, since=until - timedelta(days=13), until=until)
    return {"survey waves": len(waves), "survey answers": len(created), "survey links": len(links),
            "detractor follow-ups": follow_ups}


def _deliveries(month, until, staff, departments, orders, supplier_means, rng, wave_of, plans) -> None:
    """Each location's manager rates the suppliers that delivered to it in the quarter (on time, complete, quality)."""
    month_end = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), until)
    management = departments.get("management")
    managers: dict[int, int] = {}
    for party_id, location_id, department_id, hired, left in staff:
        if (location_id and management and department_id == management.pk and hired <= month_end
                and (left is None or left > month_end)):
            managers.setdefault(location_id, party_id)
    if not managers:
        return
    delivered: dict[int, set[int]] = {}
    for location_id, supplier_id, day in orders:
        if month_end - timedelta(days=90) < day <= month_end:
            delivered.setdefault(location_id, set()).add(supplier_id)
    for location_id, party_id in sorted(managers.items()):
        suppliers = sorted(delivered.get(location_id, ()))
        if not suppliers:
            continue
        wave = wave_of(SurveyKind.DELIVERY, month, location_id)
        ratings = {supplier: tuple(int(np.clip(round(m + rng.normal(0, 0.7)), 1, 5)) for m in supplier_means[supplier])
                   for supplier in suppliers}
        rows = [({"kind": SurveyKind.DELIVERY, "month": month, "location_id": location_id, "party_id": party_id,
                  "answered_on": min(wave.scheduled_on + timedelta(days=3), until), "score": None,
                  "comment": ""}, None, {"deliveries": ratings})]
        plans.append((wave, [party_id], {party_id}, location_id, rows))


def _quarterly(month, until, staff, department_code, departments, rng, wave_of, plans, locations) -> None:
    """Internal service (each internal client rates its serving departments) and partner satisfaction waves."""
    month_end = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), until)
    customers: dict[str, list[str]] = {}
    for provider, clients in SERVICES.items():
        for client in clients:
            customers.setdefault(client, []).append(provider)
    wave = wave_of(SurveyKind.INTERNAL, month, None)
    recipients, answered, rows = [], set(), []
    for party_id, location_id, department_id, hired, left in staff:
        code = department_code.get(department_id)
        if code not in customers or hired > month_end or (left is not None and left <= month_end):
            continue
        recipients.append(party_id)
        if rng.random() > 0.8:
            continue
        answered.add(party_id)
        ratings = {}
        for provider in customers[code]:
            if provider not in departments:
                continue
            means = SERVICE_MEANS[provider]
            ratings[departments[provider].pk] = tuple(int(np.clip(round(m + rng.normal(0, 0.8)), 1, 5)) for m in means)
        rows.append(({"kind": SurveyKind.INTERNAL, "month": month, "location_id": location_id,
                      "department_id": department_id, "score": None}, None, ratings))
    order = rng.permutation(len(rows))
    plans.append((wave, recipients, answered, None, [rows[i] for i in order]))
    partners = sorted({loc.partner_id for loc in locations if loc.partner_id})
    if partners:
        wave = wave_of(SurveyKind.PARTNER, month, None)
        rows = [({"kind": SurveyKind.PARTNER, "month": month, "party_id": partner_id,
                  "answered_on": min(wave.scheduled_on + timedelta(days=2), until),
                  "score": int(rng.integers(6, 11)), "satisfaction": int(rng.integers(3, 6)),
                  "comment": ""}, None, None) for partner_id in partners]
        plans.append((wave, partners, set(partners), None, rows))
