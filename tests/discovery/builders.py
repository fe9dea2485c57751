"""Hand-built clients for discovery tests: a few guests with known attributes, snapshots and purchases."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from romashka.core.choices import PartyForm, PartyKind
from romashka.core.models import Location, Organisation, Party, PartyRole
from romashka.path.models import Purchase, StatusSnapshot

AS_OF = date(2026, 6, 30)
MOSCOW = ZoneInfo("Europe/Moscow")


def organisation_create(name: str = "Тест") -> Organisation:
    return Organisation.objects.create(name=name)


def location_create(org: Organisation, code: str, city: str = "Москва") -> Location:
    return Location.objects.create(organisation=org, code=code, name=code, city=city)


def guest_create(org: Organisation, name: str, **attributes) -> Party:
    party = Party.objects.create(organisation=org, name=name, **attributes)
    PartyRole.objects.create(party=party, kind=PartyKind.GUEST)
    return party


def company_create(org: Organisation, name: str, **attributes) -> Party:
    return guest_create(org, name, form=PartyForm.COMPANY, **attributes)


def purchases_create(party: Party, days_amounts: list[tuple[date, str]], *, category: str = "",
                     location: Location | None = None) -> None:
    start = Purchase.objects.count()
    Purchase.objects.bulk_create([
        Purchase(
            organisation_id=party.organisation_id, party=party, location=location or party.home_location,
            occurred_at=datetime.combine(day, time(12), MOSCOW), purchased_on=day, amount=Decimal(amount),
            receipt_ref=f"r{start + i}", category=category,
        )
        for i, (day, amount) in enumerate(days_amounts)
    ])


def snapshot_create(party: Party, *, status: str, purchase_days: int, monetary: str,
                    last_purchase: date | None = None, first_purchase: date | None = None) -> StatusSnapshot:
    return StatusSnapshot.objects.create(
        organisation_id=party.organisation_id, party=party, status=status, purchase_days=purchase_days,
        monetary=Decimal(monetary), as_of=AS_OF, last_purchase=last_purchase, first_purchase=first_purchase,
        recency_days=(AS_OF - last_purchase).days if last_purchase else None,
    )
