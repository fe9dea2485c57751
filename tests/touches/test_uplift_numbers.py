"""The uplift of a standard from stored entries and purchases: the conversions and revenue a user would
count by hand, the window, complete windows only, and scoping."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from romashka.core.models import Organisation, Party
from romashka.path.models import Purchase
from romashka.touches import selectors, services
from romashka.touches.choices import Group, TouchChannel
from romashka.touches.models import Entry

pytestmark = pytest.mark.django_db
ENTERED = date(2026, 6, 1)
AS_OF = date(2026, 11, 23)


def test_conversion_and_revenue_are_counted_as_by_hand(demo_network):
    organisation = Organisation.objects.get()
    standard = services.standard_create(
        organisation=organisation, trigger="fan", valid_from=ENTERED,
        spec=services.StandardSpec(name="test", conversion_days=10, steps=[
            services.StepSpec(channel=TouchChannel.CALL, title="call", template_ru="Здравствуйте!")]))
    parties = list(Party.objects.filter(organisation=organisation, roles__kind="guest").order_by("pk")[:100])
    version = standard.versions.get()
    Entry.objects.bulk_create([
        Entry(organisation=organisation, standard=standard, version=version, party=p, location=p.home_location,
              entered_on=ENTERED, status="fan", group=Group.TREATED if i < 60 else Group.CONTROL)
        for i, p in enumerate(parties)])
    Purchase.objects.filter(party__in=parties, purchased_on__gt=ENTERED,
                            purchased_on__lte=ENTERED + timedelta(days=10)).delete()

    def buy(party, days, amount):
        Purchase.objects.create(organisation=organisation, party=party, location=party.home_location,
                                occurred_at=timezone.now(), purchased_on=ENTERED + timedelta(days=days),
                                amount=Decimal(amount), receipt_ref=f"u-{party.pk}-{days}-{amount}")

    for party in parties[:30]:      # 30 of 60 treated buy on day 5, 500 ₽ each
        buy(party, 5, "500.00")
    buy(parties[0], 7, "100.00")    # a second day adds revenue, not a second conversion
    buy(parties[30], 11, "900.00")  # day 11 is outside the 10-day window
    buy(parties[31], 0, "900.00")   # the entry day itself is not a conversion
    for party in parties[60:70]:    # 10 of 40 control buy on day 10, the last day of the window
        buy(party, 10, "400.00")

    user = get_user_model().objects.get(username="crm")
    result = selectors.uplift(user=user, standard_id=standard.pk, date_from=ENTERED, date_to=ENTERED, as_of=AS_OF)

    assert (result.treated, result.control, result.pending) == (60, 40, 0)
    assert result.conversion_treated == pytest.approx(30 / 60)
    assert result.conversion_control == pytest.approx(10 / 40)
    assert result.conversion_difference == pytest.approx(0.25)
    assert result.conversion_low < 0.25 < result.conversion_high
    assert result.revenue_treated == pytest.approx((30 * 500 + 100) / 60)
    assert result.revenue_control == pytest.approx(10 * 400 / 40)
    assert result.verdict == "works"

    still_open = selectors.uplift(user=user, standard_id=standard.pk, date_from=ENTERED, date_to=ENTERED,
                                  as_of=ENTERED + timedelta(days=5))
    assert (still_open.treated, still_open.control, still_open.pending) == (0, 0, 100)
    assert still_open.verdict == "too_few"
