"""The lifecycle rules and status history with parameters per customer (overrides of the purchase cycle).

``parameters`` is a table (customer_id, cycle_days, lost_after_days, fan_min_purchases) naming the
customers whose rules differ from the defaults; a null column falls back to the default (and a null
``lost_after_days`` to 3 × that customer's ``cycle_days``). Customers not listed use the defaults.

The rules are evaluated per *parameter set*: a business has a handful of overrides, so the customers
are split by the distinct parameter sets and :func:`lifecycle_expr` / :func:`history_expr` run on
each part unchanged. Every customer is judged by exactly the contract's rules, only with its own
numbers, and the default part (most customers) costs what it did before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from romashka.engine.history import history_expr
from romashka.engine.lifecycle import lifecycle_expr

PARAMETER_COLUMNS = ("customer_id", "cycle_days", "lost_after_days", "fan_min_purchases")


@dataclass(frozen=True)
class RuleParameters:
    cycle_days: int
    fan_min_purchases: int
    lost_after_days: int


def _resolved(parameters: pa.Table, defaults: RuleParameters) -> dict[RuleParameters, list]:
    """Customer ids per distinct parameter set, nulls filled from the defaults."""
    groups: dict[RuleParameters, list] = {}
    for row in parameters.select(list(PARAMETER_COLUMNS)).to_pylist():
        cycle_days = row["cycle_days"] if row["cycle_days"] is not None else defaults.cycle_days
        rules = RuleParameters(
            cycle_days=cycle_days,
            fan_min_purchases=row["fan_min_purchases"]
            if row["fan_min_purchases"] is not None
            else defaults.fan_min_purchases,
            lost_after_days=row["lost_after_days"] if row["lost_after_days"] is not None else 3 * cycle_days,
        )
        groups.setdefault(rules, []).append(str(row["customer_id"]))
    return groups


def lifecycle_and_history_tables(
    purchases: pa.Table,
    *,
    as_of: date,
    defaults: RuleParameters,
    parameters: pa.Table | None = None,
    parties: pa.Table | None = None,
    backend: ibis.BaseBackend | None = None,
) -> tuple[pa.Table, pa.Table]:
    """(current statuses, status changes) as :func:`lifecycle_table` and :func:`history_table` give
    them, each customer under its own parameters (unordered); ``parties`` as they take it."""
    backend = backend or ibis.duckdb.connect()
    table = ibis.memtable(purchases)
    party_table = ibis.memtable(parties) if parties is not None else None
    groups = _resolved(parameters, defaults) if parameters is not None and parameters.num_rows else {}
    groups.pop(defaults, None)  # customers whose override equals the defaults stay in the default part
    # Each part: its customers' purchases and, where given, the same customers' parties.
    parts: list[tuple[RuleParameters, ibis.Table, ibis.Table | None]] = []
    if not groups:
        parts.append((defaults, table, party_table))
    else:
        listed: list = []

        def part(customers, *, inside: bool):
            def keep(of: ibis.Table) -> ibis.Table:
                member = of.customer_id.cast(dt.string).isin(customers)
                return of.filter(member if inside else ~member)

            return keep(table), keep(party_table) if party_table is not None else None

        for rules, customers in groups.items():
            parts.append((rules, *part(customers, inside=True)))
            listed.extend(customers)
        parts.append((defaults, *part(listed, inside=False)))
    current: list[pa.Table] = []
    history: list[pa.Table] = []
    for rules, purchases_part, parties_part in parts:
        for expr, into in ((lifecycle_expr, current), (history_expr, history)):
            into.append(
                backend.to_pyarrow(
                    expr(
                        purchases_part,
                        as_of=as_of,
                        cycle_days=rules.cycle_days,
                        fan_min_purchases=rules.fan_min_purchases,
                        lost_after_days=rules.lost_after_days,
                        parties=parties_part,
                    )
                )
            )
    return pa.concat_tables(current), pa.concat_tables(history)
