"""Writes of planning: the buy-till-you-die refit and every client's prediction; revenue targets."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from romashka.core.access import Capability, access_location, organisation_of, require
from romashka.core.bulk import bulk_insert
from romashka.core.models import Organisation
from romashka.path.choices import Status
from romashka.path.models import StatusSnapshot
from romashka.planning.models import ClvFit, ClvPrediction, RevenueTarget

TIME_UNIT = "week"
PREDICTION_DAYS = 90  # expected purchases are shown for the next 90 days
CLV_MONTHS = 12  # lifetime value over the next 12 months …
ANNUAL_DISCOUNT_RATE = 0.10  # … discounted at 10% a year, month by month
MIN_CUSTOMERS = 30  # fewer buyers than this give no meaningful fit
AT_RISK_BELOW = 0.5  # a fan whose probability of being alive fell under this is at risk


def clv_refresh(*, organisation: Organisation, as_of: date) -> dict:
    """Refits BG/NBD and Gamma-Gamma on the purchases up to `as_of` and rewrites every buyer's prediction.

    Running it twice on the same data gives the same predictions (and one more fit in the history).
    Returns what it did; with fewer than MIN_CUSTOMERS buyers it removes the predictions and fits nothing.
    """
    import ibis
    import numpy as np

    from romashka.engine import clv
    from romashka.path.services import purchase_columns

    started = time.perf_counter()
    purchases = purchase_columns(organisation.pk)
    backend = ibis.duckdb.connect()
    summary = backend.to_pyarrow(
        clv.customer_summary(ibis.memtable(purchases), calibration_end=as_of, time_unit=TIME_UNIT)
    )
    if summary.num_rows < MIN_CUSTOMERS:
        ClvPrediction.objects.filter(organisation=organisation).delete()
        return {"customers": summary.num_rows, "fitted": False, "seconds": round(time.perf_counter() - started, 2)}
    columns = {name: summary[name].to_numpy(zero_copy_only=False) for name in summary.column_names}
    x, tx, t = columns["frequency"], columns["recency"], columns["T"]
    purchase_fit = clv.fit_bgnbd(x, tx, t)
    fits = [purchase_fit]
    try:
        spend_fit = clv.fit_gammagamma(x, columns["monetary_value"])
        fits.append(spend_fit)
    except ValueError:  # no repeat buyer yet: no spend model, so spend and CLV stay 0
        spend_fit = None
    result = clv.predict(
        columns, purchase_model="bgnbd", purchase_params=purchase_fit.values(),
        spend_params=spend_fit.values() if spend_fit else None, horizon_days=PREDICTION_DAYS,
        clv_days=CLV_MONTHS * clv.DAYS_PER_YEAR / 12, time_unit=TIME_UNIT, annual_discount_rate=ANNUAL_DISCOUNT_RATE,
    )
    alive, ahead, spend, value = result.p_alive, result.expected_purchases, result.expected_spend, result.clv

    def finite(values):
        return np.where(np.isfinite(values), values, 0.0)

    as_of_text = as_of.isoformat()
    party_ids = columns["customer_id"].astype(np.int64).tolist()
    alive = finite(alive)
    fans = set(StatusSnapshot.objects.filter(organisation=organisation, status=Status.FAN).values_list("party_id", flat=True))
    at_risk_before = dict(ClvPrediction.objects.filter(organisation=organisation, at_risk_since__isnull=False)
                          .values_list("party_id", "at_risk_since"))

    def at_risk_since(party_id: int, p_alive: float) -> str | None:
        if party_id not in fans or p_alive >= AT_RISK_BELOW:
            return None
        since = at_risk_before.get(party_id)
        return since.isoformat() if since and since <= as_of else as_of_text

    rows = zip(
        (organisation.pk for _ in range(x.size)),
        party_ids,
        (as_of_text for _ in range(x.size)),
        alive.tolist(),
        finite(ahead).tolist(),
        (f"{v:.2f}" for v in finite(spend).tolist()),
        (f"{v:.2f}" for v in finite(value).tolist()),
        (at_risk_since(p, a) for p, a in zip(party_ids, alive.tolist(), strict=True)),
        strict=True,
    )
    with transaction.atomic():
        ClvPrediction.objects.filter(organisation=organisation).delete()
        written = bulk_insert(
            ClvPrediction,
            ["organisation", "party", "as_of", "p_alive", "expected_purchases", "expected_spend", "clv",
             "at_risk_since"],
            rows,
        )
        for fit in fits:
            ClvFit.objects.create(
                organisation=organisation, model=fit.model, as_of=as_of, time_unit=TIME_UNIT, params=fit.params,
                standard_errors={k: (None if v != v else v) for k, v in fit.standard_errors.items()},
                log_likelihood=fit.log_likelihood, customers=fit.customers, converged=fit.converged,
            )
    return {"customers": written, "fitted": True, "params": purchase_fit.params,
            "seconds": round(time.perf_counter() - started, 2)}


def revenue_target_set(*, user, month: date, amount, location_id: int | None = None) -> RevenueTarget:
    """Sets (or replaces) the revenue target of a month for the network or one location; owner and CRM manager."""
    require(user, Capability.VIEW_PLANNING)
    organisation = organisation_of(user)
    location = access_location(user, location_id) if location_id is not None else None
    try:
        value = Decimal(str(amount).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise ValidationError({"amount": f"{amount!r} is not an amount; expected e.g. 1500000 or 1 500 000,00."}) from None
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 14:
        raise ValidationError({"amount": "The target must be a positive amount below 10^14."})
    target, _created = RevenueTarget.objects.update_or_create(
        organisation=organisation, location=location, month=month.replace(day=1),
        defaults={"amount": value.quantize(Decimal("0.01"))},
    )
    return target
