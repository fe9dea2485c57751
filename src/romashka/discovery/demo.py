"""The demo network's discovery: segments, a few clients and a segment that are not ours, business clients
with industries and buying committees, products mapped to jobs and client categories, a year of interviews,
and the touch standards of this issue (interview invitations from a list, a committee standard).

Draws from its own seeded generator, so the rest of the demo stays exactly as it was.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model

from romashka.core.choices import ChannelKind, PartyForm
from romashka.core.models import Channel, Organisation, Party
from romashka.discovery.models import (
    CategoryCost,
    ClientCategory,
    CommitteeMember,
    CompanyProfile,
    Interview,
    Job,
    Product,
    ProductJob,
)
from romashka.discovery.selectors import figures_as_of, guests_of
from romashka.discovery.services import (
    ConditionSpec,
    SegmentSpec,
    client_figures_refresh,
    not_ours_mark,
    segment_create,
)
from romashka.path.choices import Status

SEED = 20261210
D = Decimal

SEGMENTS = [
    ("Москва: поклонники", "Постоянные гости московских блинных.",
     [ConditionSpec("city", ["Москва"]), ConditionSpec("status", [Status.FAN])]),
    ("Петербург: женщины 25–34", "",
     [ConditionSpec("city", ["Санкт-Петербург"]), ConditionSpec("gender", ["f"]),
      ConditionSpec("age", min_value=D(25), max_value=D(34))]),
    ("Сладкоежки с чеком от 700 ₽", "Брали десерты; средний чек за день покупки от 700 ₽.",
     [ConditionSpec("category", ["десерты"]), ConditionSpec("average_ticket", min_value=D(700))]),
    ("Казань: доставка", "", [ConditionSpec("city", ["Казань"]), ConditionSpec("category", ["доставка"])]),
    ("Пришли по рекомендации", "Сарафанное радио: кто пришёл по совету и купил хотя бы трижды.",
     [ConditionSpec("acquisition_channel", ["рекомендация"]), ConditionSpec("purchase_days", min_value=D(3))]),
    ("Компании: ИТ и финансы", "Корпоративные клиенты — завтраки и кейтеринг.",
     [ConditionSpec("form", [PartyForm.COMPANY]), ConditionSpec("industry", ["ИТ", "финансы"])]),
    ("Разовые заказы через агрегатор до 300 ₽", "Один заказ доставки на копейки: комиссия агрегатора съедает всё.",
     [ConditionSpec("acquisition_channel", ["доставка"]), ConditionSpec("purchase_days", min_value=D(1), max_value=D(1)),
      ConditionSpec("revenue", max_value=D(300))]),
]
NOT_OURS_SEGMENT = "Разовые заказы через агрегатор до 300 ₽"
# Cost of the goods as a percentage of the price; delivery includes the aggregator's commission.
CATEGORY_COSTS = [("блины", 30), ("десерты", 26), ("напитки", 18), ("супы", 28), ("доставка", 52)]

JOBS = [
    ("Быстро и сытно позавтракать по дороге на работу", "Утро, мало времени, нужно наесться до обеда."),
    ("Провести выходные с семьёй", "Место, где детям интересно, а взрослым вкусно."),
    ("Порадовать себя сладким", "Небольшой праздник посреди дня."),
    ("Накормить коллег на встрече", "Кейтеринг для офиса: привезти вовремя и красиво."),
    ("Пообедать недорого рядом с офисом", "Бизнес-ланч за 40 минут."),
    ("Заказать ужин домой без готовки", "Вечером нет сил стоять у плиты."),
]
CATEGORIES = [
    ("Офисные работники рядом", "Москва: поклонники"),
    ("Семьи с детьми", None),
    ("Сладкоежки", "Сладкоежки с чеком от 700 ₽"),
    ("Компании (кейтеринг)", "Компании: ИТ и финансы"),
    ("Домоседы", "Казань: доставка"),
]
# name, purchase category, characteristics, [(job index, category index or None)]
PRODUCTS = [
    ("Блин с ветчиной и сыром", "блины", {"вес, г": 220, "время приготовления, мин": 5, "цена, ₽": 290},
     [(0, 0), (4, 0)]),
    ("Сет «Завтрак»", "блины", {"вес, г": 380, "цена, ₽": 420, "напиток": "да"}, [(0, 0)]),
    ("Детское меню «Ромашка»", "блины", {"возраст": "3–10 лет", "цена, ₽": 350}, [(1, 1)]),
    ("Блин с вишней и мороженым", "десерты", {"вес, г": 200, "цена, ₽": 310}, [(2, 2), (1, 1)]),
    ("Кофе с собой", "напитки", {"объём, мл": 350, "цена, ₽": 190}, [(0, 0)]),
    ("Суп дня", "супы", {"объём, мл": 300, "цена, ₽": 250}, [(4, 0)]),
    ("Кейтеринг «Офисный завтрак»", "доставка", {"персон": "10–50", "заказ за, ч": 24}, [(3, 3)]),
    ("Доставка ужина", "доставка", {"время доставки, мин": 45, "цена от, ₽": 600}, [(5, 4), (1, None)]),
]
# Per job: what is missing, channels, competitors, the share willing to pay more and the mean extra amount.
ANSWERS = {
    0: (["ранее открытие", "предзаказ в приложении", "кофе покрепче"], ["Яндекс Карты", "2ГИС", "проходил мимо"],
        ["Шоколадница", "Теремок"], 0.35, 80),
    1: (["детская комната", "аниматор по выходным", "столы побольше"], ["соцсети", "рекомендация"],
        ["Теремок", "Макдоналдс"], 0.5, 300),
    2: (["сезонные десерты", "меньшие порции", "десерты без сахара"], ["соцсети", "Яндекс Карты"],
        ["Кофемания", "Шоколадница"], 0.55, 120),
    3: (["счёт с отсрочкой", "заказ через API", "вегетарианские сеты"], ["сайт", "рекомендация"],
        ["Кейтеринг Про", "Шоколадница"], 0.6, 2500),
    4: (["бизнес-ланч", "быстрее обслуживание", "розетки"], ["2ГИС", "проходил мимо"],
        ["Теремок", "Вкусно — и точка"], 0.2, 50),
    5: (["бесплатная доставка от 1000 ₽", "горячие блины при доставке", "отслеживание курьера"],
        ["доставка", "сайт"], ["Яндекс Еда", "Delivery Club"], 0.3, 150),
}
INDUSTRIES = ["ИТ", "финансы", "производство", "розница", "образование"]
SIZES = ["micro", "small", "medium", "large"]
# (role, position, surname) — the committee of a business client.
COMMITTEE = [
    ("decision_maker", "Генеральный директор", "Громов"),
    ("economic_buyer", "Финансовый директор", "Счётова"),
    ("technical_buyer", "Руководитель ИТ", "Серверов"),
    ("user", "Офис-менеджер", "Заботина"),
    ("blocker", "Начальник АХО", "Строгов"),
]
COMPANY_NAMES = ["Вектор", "Альфа-Софт", "Северный банк", "Гранит", "Квант", "Меридиан", "Орбита", "Сфера",
                 "Прогресс", "Логос", "Стандарт", "Импульс"]


def demo_discovery_create(*, organisation: Organisation, until: date, size: str) -> dict[str, int]:
    from romashka.touches import services as touches
    from romashka.touches.choices import DelayBasis, ExecutorRule, TouchChannel, Trigger

    rng = np.random.default_rng(SEED)
    crm = get_user_model().objects.filter(membership__organisation=organisation, username="crm").first()
    companies = _business_clients(organisation, rng, count=6 if size == "small" else 40)
    segments = {name: segment_create(organisation=organisation, user=crm,
                                     spec=SegmentSpec(name=name, description=text, conditions=conditions))
                for name, text, conditions in SEGMENTS}
    not_ours_mark(organisation=organisation, segment=segments[NOT_OURS_SEGMENT], reason="unprofitable",
                  note="Комиссия агрегатора больше маржи; не тратим на них касания.", user=crm)
    for party, reason, note in _not_ours_parties(organisation):
        not_ours_mark(organisation=organisation, party=party, reason=reason, note=note, user=crm)
    jobs = [Job.objects.create(organisation=organisation, name=n, description=t) for n, t in JOBS]
    categories = [ClientCategory.objects.create(organisation=organisation, name=n,
                                                segment=segments[s] if s else None) for n, s in CATEGORIES]
    for name, purchase_category, characteristics, links in PRODUCTS:
        product = Product.objects.create(organisation=organisation, name=name, purchase_category=purchase_category,
                                         characteristics=characteristics)
        ProductJob.objects.bulk_create([ProductJob(product=product, job=jobs[j], category=categories[c] if c is not None
                                                   else None) for j, c in links])
    interviews = _interviews(organisation, rng, until, jobs, crm, count=60 if size == "small" else 360)
    valid_from = until - timedelta(days=30)
    touches.standard_create(organisation=organisation, trigger=Trigger.LIST, valid_from=valid_from, spec=touches.StandardSpec(
        name="Приглашение на интервью", control_share=D(0), conversion_days=30, responsible_id=crm and crm.pk,
        steps=[touches.StepSpec(
            channel=TouchChannel.CALL, title="Пригласить на интервью", aims_at_purchase=False,
            executor_rule=ExecutorRule.LOCATION_MANAGER, offer="десерт в подарок за 20 минут разговора",
            template_ru="Здравствуйте, {name}! Это «{location}». Вы наш постоянный гость — можно задать вам "
                        "несколько вопросов о том, зачем вы к нам приходите? В благодарность: {offer}.",
            template_en="Hello {name}, this is {location}. You are one of our regulars: may we ask you a few "
                        "questions about why you come to us? As a thank-you: {offer}.")]))
    touches.standard_create(organisation=organisation, trigger=Trigger.DORMANT, valid_from=valid_from, spec=touches.StandardSpec(
        name="Компания заснула: письма закупочному комитету", segment_id=segments["Компании: ИТ и финансы"].pk,
        control_share=D(0), conversion_days=45, responsible_id=crm and crm.pk, steps=[
            touches.StepSpec(channel=TouchChannel.EMAIL, title="Директору: экономия", delay_basis=DelayBasis.ENTRY,
                             committee_role="decision_maker", offer="скидка 12% на годовой договор",
                             template_ru="{name}: завтраки для команды обходятся дешевле обедов в городе — "
                                         "{offer}. Посчитаем вашу экономию?",
                             template_en="{name}: team breakfasts cost less than lunches out — {offer}. "
                                         "Shall we work out your savings?"),
            touches.StepSpec(channel=TouchChannel.EMAIL, title="ИТ: заказы через API", delay_days=3,
                             committee_role="technical_buyer",
                             template_ru="Заказы кейтеринга для {name} можно отправлять из вашей системы через "
                                         "наш API, счета — в ЭДО.",
                             template_en="Catering orders for {name} can come from your own system through our "
                                         "API, invoices through e-documents."),
        ]))
    # The committee standard's month of entries, so it has tasks to show (other standards already have theirs).
    touches.entries_generate(organisation=organisation, as_of=until, since=valid_from, only_current=False)
    costs = _category_costs(organisation)
    client_figures_refresh(organisation_id=organisation.pk, as_of=figures_as_of(organisation.pk))
    return {"segments": len(segments), "business clients": len(companies), "interviews": interviews,
            "products": len(PRODUCTS), "jobs": len(JOBS), "category costs": costs}


def _category_costs(organisation: Organisation) -> int:
    """The network's food cost per product category, and Moscow's pancakes dearer (its own supplier)."""
    from romashka.core.models import Location

    rows = [CategoryCost(organisation=organisation, category=category, cost_percent=D(percent))
            for category, percent in CATEGORY_COSTS]
    moscow = Location.objects.filter(organisation=organisation, code__startswith="MSK").order_by("code")
    rows += [CategoryCost(organisation=organisation, category="блины", location=location, cost_percent=D(34))
             for location in moscow]
    return len(CategoryCost.objects.bulk_create(rows))


def _business_clients(organisation: Organisation, rng: np.random.Generator, count: int) -> list[Party]:
    """Regular guests who are in fact companies (office breakfasts): a profile and a buying committee each."""
    candidates = list(guests_of(organisation.pk).filter(status_snapshot__purchase_days__gte=3, form=PartyForm.PERSON)
                      .order_by("pk").values_list("pk", flat=True))
    chosen = sorted(rng.choice(candidates, size=min(count, len(candidates)), replace=False).tolist())
    companies = list(Party.objects.filter(pk__in=chosen).order_by("pk"))
    profiles, people, roles = [], [], []
    for i, company in enumerate(companies):
        company.form = PartyForm.COMPANY
        company.name = f"ООО «{COMPANY_NAMES[i % len(COMPANY_NAMES)]}»" + (f" №{i // len(COMPANY_NAMES) + 1}"
                                                                           if i >= len(COMPANY_NAMES) else "")
        company.gender, company.birthday = "", None
        size = SIZES[int(rng.integers(len(SIZES)))]
        profiles.append(CompanyProfile(party=company, industry=INDUSTRIES[i % len(INDUSTRIES)], size=size,
                                       employees={"micro": 12, "small": 60, "medium": 180, "large": 900}[size]))
        for role, position, surname in COMMITTEE[: 3 + int(rng.integers(3))]:
            people.append(Party(organisation=organisation, name=f"{surname} ({company.name})", city=company.city))
            roles.append((company, role, position))
    Party.objects.bulk_update(companies, ["form", "name", "gender", "birthday"])
    CompanyProfile.objects.bulk_create(profiles)
    people = Party.objects.bulk_create(people)
    CommitteeMember.objects.bulk_create([CommitteeMember(company=company, person=person, role=role, position=position)
                                         for person, (company, role, position) in zip(people, roles, strict=True)])
    Channel.objects.bulk_create([
        Channel(party=person, kind=ChannelKind.EMAIL, value=f"member{person.pk}@client.example",
                normalized=f"member{person.pk}@client.example", is_primary=True, consent_at=person.created_at,
                consent_source="договор")
        for person in people
    ])
    return companies


def _not_ours_parties(organisation: Organisation) -> list[tuple[Party, str, str]]:
    guests = list(guests_of(organisation.pk).filter(status_snapshot__status=Status.LOST, form=PartyForm.PERSON)
                  .order_by("pk")[:3])
    reasons = [("conflict", "Требовал бесплатную еду после каждого визита, грубил персоналу."),
               ("competitor", "Владелец соседнего кафе: изучает наше меню и цены."),
               ("asked", "Попросил больше не звонить и не писать.")]
    return [(party, reason, note) for party, (reason, note) in zip(guests, reasons, strict=False)]


def _interviews(organisation, rng: np.random.Generator, until: date, jobs: list[Job], interviewer, count: int) -> int:
    """A year of interviews with regular guests; each job has its own typical answers."""
    guests = list(guests_of(organisation.pk).filter(status_snapshot__purchase_days__gte=2)
                  .order_by("pk").values_list("pk", "form", "city"))
    picks = rng.choice(len(guests), size=min(count, len(guests)), replace=False)
    rows = []
    for index in picks.tolist():
        party_id, form, city = guests[index]
        job_index = 3 if form == PartyForm.COMPANY else int(rng.choice([0, 1, 2, 4, 5] if city != "Казань"
                                                                        else [5, 5, 1, 2, 0]))
        missing, channels, competitors, pay_share, pay_amount = ANSWERS[job_index]
        pays = bool(rng.random() < pay_share)
        rows.append(Interview(
            organisation=organisation, party_id=party_id, interviewer=interviewer,
            interviewed_on=until - timedelta(days=int(rng.integers(0, 365))),
            situation=jobs[job_index].description, job=jobs[job_index], job_text=jobs[job_index].name,
            expected_result="Чтобы было быстро, вкусно и предсказуемо.",
            missing=", ".join(rng.choice(missing, size=1 + int(rng.integers(2)), replace=False).tolist()),
            channels=", ".join(rng.choice(channels, size=1 + int(rng.integers(2)), replace=False).tolist()),
            competitors=", ".join(rng.choice(competitors, size=1, replace=False).tolist()),
            pays_more=pays, pays_more_amount=D(int(pay_amount * (0.5 + rng.random()))) if pays else None,
        ))
    Interview.objects.bulk_create(rows)
    return len(rows)
