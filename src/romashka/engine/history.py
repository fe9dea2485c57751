"""Every status change of every customer up to a date, by the default rule set, as one ibis expression.

Under the default rules (see :mod:`romashka.engine.lifecycle`) the status between two purchase days
follows from the earlier day alone, so the changes are:

* on each purchase day the status becomes **novice** or **fan** (by the number of purchase days of
  the current episode so far); ``won_back`` turns true when the day starts a second or later episode
  (a gap of more than ``lost_after_days`` since the previous purchase day);
* after purchase day ``d`` the client becomes **dormant** on ``d + cycle_days + 1`` and **lost** on
  ``d + lost_after_days + 1``, each only if that day comes before the next purchase day and is not
  after ``as_of`` (dormant only when ``cycle_days < lost_after_days``: otherwise recency passes the
  lost threshold first);
* a customer whose first rows (refunds, days summing to zero or less) come before any purchase day
  is a **lead** from the day of the first row, as :func:`lifecycle_expr` calls such a customer;
* with ``parties`` (see :mod:`romashka.engine.prospects`), a party recorded before its first
  purchase day (or that never bought) has its ``pre_status`` from the day it was recorded: a
  **prospect** or a **lead**, and a lead in any case when it has rows before its first purchase day.
  So the first purchase of a party that was in the base is a change lead → novice (or prospect →
  novice). A party recorded after ``as_of`` has no event.

Candidates whose status and flag equal the previous candidate's produce no event (a novice buying
again stays a novice). Because a dropped candidate always equals its predecessor, the previous
candidate's status is the previous *event's* status, so one window pass gives ``from_status``.

Output: one row per change with the columns of :data:`HISTORY_COLUMNS`; the status at any date
``D <= as_of`` is the ``to_status`` of the customer's last row with ``changed_on <= D``.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from romashka.engine.lifecycle import _check_parameters, customer_days

HISTORY_COLUMNS = ("customer_id", "changed_on", "from_status", "to_status", "won_back")


def history_expr(
    purchases: ibis.Table,
    *,
    as_of: date,
    cycle_days: int = 90,
    fan_min_purchases: int = 3,
    lost_after_days: int | None = None,
    parties: ibis.Table | None = None,
) -> ibis.Table:
    """One row per status change up to ``as_of`` (see the module docstring)."""
    lost_after_days = _check_parameters(cycle_days, fan_min_purchases, lost_after_days)
    as_of_day = ibis.literal(as_of, type=dt.date)
    days, _in_kopecks = customer_days(purchases, as_of=as_of)
    leads = _before_first_purchase(days, parties, as_of_day)

    bought = days.filter(days.is_purchase).select("customer_id", "day")
    by_day = ibis.window(group_by=bought.customer_id, order_by=bought.day)
    previous_day = bought.day.lag().over(by_day)
    bought = bought.mutate(
        number=ibis.row_number().over(by_day),
        next_day=bought.day.lead().over(by_day),
        episode_start=previous_day.isnull() | (bought.day.delta(previous_day, unit="day") > lost_after_days),
    )
    so_far = ibis.cumulative_window(group_by=bought.customer_id, order_by=bought.day)
    bought = bought.mutate(
        episodes=bought.episode_start.cast(dt.int64).sum().over(so_far),
        episode_first_number=ibis.ifelse(bought.episode_start, bought.number, ibis.null(dt.int64))
        .max()
        .over(so_far),
    )
    # The first day after this purchase day's stretch: the next purchase day, or the day after as_of.
    bound = bought.next_day.fill_null(as_of_day + ibis.interval(days=1))
    episode_days = bought.number - bought.episode_first_number + 1
    won_back = bought.episodes > 1

    on_purchase = bought.select(
        customer_id="customer_id",
        changed_on=bought.day,
        to_status=ibis.ifelse(episode_days >= fan_min_purchases, "fan", "novice"),
        won_back=won_back,
    )
    pieces = [leads, on_purchase]
    for status, days_after in (("dormant", cycle_days), ("lost", lost_after_days)):
        if status == "dormant" and cycle_days >= lost_after_days:
            continue
        changed_on = bought.day + ibis.interval(days=days_after + 1)
        pieces.append(
            bought.filter(changed_on < bound).select(
                customer_id="customer_id",
                changed_on=changed_on.cast(dt.date),
                to_status=ibis.literal(status, type=dt.string),
                won_back=won_back,
            )
        )
    candidates = ibis.union(*pieces, distinct=False)

    in_order = ibis.window(group_by=candidates.customer_id, order_by=candidates.changed_on)
    candidates = candidates.mutate(
        from_status=candidates.to_status.lag().over(in_order),
        from_won_back=candidates.won_back.lag().over(in_order),
    )
    changes = candidates.filter(
        candidates.from_status.isnull()
        | (candidates.from_status != candidates.to_status)
        | (candidates.from_won_back != candidates.won_back)
    )
    return changes.select(
        customer_id=changes.customer_id,
        changed_on=changes.changed_on.cast(dt.date),
        from_status=changes.from_status,
        to_status=changes.to_status,
        won_back=changes.won_back,
    )


def _before_first_purchase(days: ibis.Table, parties: ibis.Table | None, as_of_day) -> ibis.Table:
    """The first event of customers who were in the base before their first purchase day (or never bought)."""
    per_customer = days.group_by("customer_id").aggregate(
        first_row=days.day.min(),
        first_purchase=days.day.min(where=days.is_purchase),
    )
    rows_before = per_customer.first_purchase.isnull() | (per_customer.first_row < per_customer.first_purchase)
    if parties is None:
        leads = per_customer.filter(rows_before)
        return leads.select(
            customer_id="customer_id",
            changed_on=leads.first_row,
            to_status=ibis.literal("lead", type=dt.string),
            won_back=ibis.literal(False),
        )
    from_rows = per_customer.select(
        customer_id="customer_id",
        start=ibis.ifelse(rows_before, per_customer.first_row, ibis.null(dt.date)),
        first_purchase="first_purchase",
        rows_before=rows_before,
        pre_status=ibis.null(dt.string),
    )
    recorded = parties.filter(parties.recorded_on.notnull() & (parties.recorded_on <= as_of_day))
    from_parties = recorded.select(
        customer_id=recorded.customer_id.cast(dt.string),
        start=recorded.recorded_on.cast(dt.date),
        first_purchase=ibis.null(dt.date),
        rows_before=ibis.literal(False),
        pre_status=recorded.pre_status.cast(dt.string),
    )
    both = ibis.union(from_rows, from_parties, distinct=False)
    starts = both.group_by("customer_id").aggregate(
        start=both.start.min(),
        first_purchase=both.first_purchase.max(),
        rows_before=both.rows_before.any(),
        pre_status=both.pre_status.max(),
    )
    starts = starts.filter(
        starts.start.notnull() & (starts.first_purchase.isnull() | (starts.start < starts.first_purchase))
    )
    return starts.select(
        customer_id="customer_id",
        changed_on=starts.start,
        to_status=ibis.ifelse(starts.rows_before | starts.pre_status.isnull(), "lead", starts.pre_status),
        won_back=ibis.literal(False),
    )


def history_table(
    purchases: pa.Table | ibis.Table,
    *,
    as_of: date,
    cycle_days: int = 90,
    fan_min_purchases: int = 3,
    lost_after_days: int | None = None,
    backend: ibis.BaseBackend | None = None,
    ordered: bool = True,
    parties: ibis.Table | pa.Table | None = None,
) -> pa.Table:
    """Execute :func:`history_expr` (DuckDB in-process unless ``backend`` is given) into Arrow.

    ``ordered`` sorts by customer and date so that the same input gives the same rows in the same order.
    """
    table = ibis.memtable(purchases) if isinstance(purchases, pa.Table) else purchases
    expr = history_expr(
        table,
        as_of=as_of,
        cycle_days=cycle_days,
        fan_min_purchases=fan_min_purchases,
        lost_after_days=lost_after_days,
        parties=ibis.memtable(parties) if isinstance(parties, pa.Table) else parties,
    )
    if ordered:
        expr = expr.order_by(["customer_id", "changed_on"])
    if backend is None:
        backend = ibis.duckdb.connect()
    return backend.to_pyarrow(expr)
