"""Writes of the client's path: purchases one at a time or in bulk, all-or-nothing and idempotent;
the refresh of status snapshots and events.

A purchase is identified by (organisation, source, receipt_ref, party): sending it again adds nothing.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from romashka.core.access import Capability, clients_visible, locations_visible, organisation_of, require
from romashka.core.bulk import bulk_insert
from romashka.core.choices import PartyKind
from romashka.core.errors import NotFoundInScope
from romashka.core.models import Channel, Organisation, Party
from romashka.path.choices import Status
from romashka.path.models import ImportBatch, Purchase, StatusEvent, StatusSnapshot, TargetProfile

API_SOURCE = "api"
KOPECK = Decimal("0.01")
AMOUNT_LIMIT = Decimal(10) ** 12  # Purchase.amount holds 14 digits, 2 of them kopecks
# Keeps every IN (…) below the smallest SQLite limit of bound parameters.
LOOKUP_CHUNK = 900
INSERT_CHUNK = 1000


@dataclass(frozen=True)
class PurchaseRow:
    """One purchase as a client system sends it: the guest by id or external id, the location by id or code.

    A naive `occurred_at` is read in the organisation's time zone.
    """

    occurred_at: datetime
    amount: Decimal
    receipt_ref: str
    party_id: int | None = None
    customer_external_id: str | None = None
    location_id: int | None = None
    location_code: str | None = None
    source: str = API_SOURCE
    category: str = ""


@dataclass(frozen=True)
class BulkResult:
    created: int
    skipped: int
    batch_id: int | None


def _field(prefix: str | None, index: int, name: str) -> str:
    return f"{prefix}.{index}.{name}" if prefix else name


def _one_of(row: PurchaseRow, first: str, second: str) -> str | None:
    given = [name for name in (first, second) if getattr(row, name) not in (None, "")]
    if len(given) == 1:
        return None
    return f"Give exactly one of {first} and {second}." if given else f"Give {first} or {second}."


def _check(rows: Sequence[PurchaseRow], prefix: str | None) -> None:
    """Every problem of every row at once, named by row and field; ValidationError when there is any."""
    problems: dict[str, str] = {}
    for index, row in enumerate(rows):
        for first, second in (("party_id", "customer_external_id"), ("location_id", "location_code")):
            message = _one_of(row, first, second)
            if message:
                problems[_field(prefix, index, first)] = message
        amount = row.amount
        if not isinstance(amount, Decimal) or not amount.is_finite():
            problems[_field(prefix, index, "amount")] = f"{amount} is not an amount; expected e.g. 1250.50."
        elif amount != amount.quantize(KOPECK) or abs(amount) >= AMOUNT_LIMIT:
            problems[_field(prefix, index, "amount")] = (
                f"{amount} has more than two decimal places or more than 12 digits before the point."
            )
        for name in ("receipt_ref", "source"):
            if not (getattr(row, name) or "").strip():
                problems[_field(prefix, index, name)] = f"{name} must not be empty."
        if not isinstance(row.occurred_at, datetime):
            problems[_field(prefix, index, "occurred_at")] = (
                "A date and time is required, e.g. 2026-11-20T13:05:00+03:00."
            )
    if problems:
        raise ValidationError(problems)


def _chunks(values: Iterable, size: int = LOOKUP_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _resolve(
    *, user, organisation: Organisation, rows: Sequence[PurchaseRow], prefix: str | None
) -> list[Purchase]:
    """Unsaved purchases with their guests and locations found within the user's scope.

    Anything not found, or not the user's, raises NotFoundInScope naming every such row; both read
    the same, so the ids of others are not confirmed.
    """
    guests = clients_visible(user)
    party_ids: set[int] = set()
    for chunk in _chunks({row.party_id for row in rows if row.party_id is not None}):
        party_ids.update(guests.filter(pk__in=chunk).values_list("pk", flat=True))
    party_by_external: dict[str, int] = {}
    for chunk in _chunks({row.customer_external_id for row in rows if row.customer_external_id is not None}):
        party_by_external.update(guests.filter(external_id__in=chunk).values_list("external_id", "pk"))
    locations = dict(locations_visible(user).values_list("code", "pk"))  # a network has tens, not thousands

    zone = ZoneInfo(organisation.time_zone)
    missing: dict[str, str] = {}
    purchases: list[Purchase] = []
    location_ids = set(locations.values())
    for index, row in enumerate(rows):
        if row.party_id is not None:
            party_id = row.party_id if row.party_id in party_ids else None
            if party_id is None:
                missing[_field(prefix, index, "party_id")] = f"No client {row.party_id} among yours."
        else:
            party_id = party_by_external.get(row.customer_external_id)
            if party_id is None:
                missing[_field(prefix, index, "customer_external_id")] = (
                    f"No client with the external id {row.customer_external_id} among yours."
                )
        if row.location_id is not None:
            location_id = row.location_id if row.location_id in location_ids else None
            if location_id is None:
                missing[_field(prefix, index, "location_id")] = f"No location {row.location_id} among yours."
        else:
            location_id = locations.get(row.location_code)
            if location_id is None:
                missing[_field(prefix, index, "location_code")] = (
                    f"No location {row.location_code} among yours."
                )
        occurred_at = (
            row.occurred_at if timezone.is_aware(row.occurred_at) else row.occurred_at.replace(tzinfo=zone)
        )
        purchases.append(
            Purchase(
                organisation_id=organisation.pk,
                party_id=party_id,
                location_id=location_id,
                occurred_at=occurred_at,
                purchased_on=occurred_at.astimezone(zone).date(),
                amount=row.amount,
                source=row.source.strip(),
                receipt_ref=row.receipt_ref.strip(),
                category=row.category.strip(),
            )
        )
    if missing:
        raise NotFoundInScope(
            f"{len(missing)} reference(s) name a client or location that is not among yours; nothing was written.",
            missing,
        )
    return purchases


def _key(purchase: Purchase) -> tuple[str, str, int]:
    return purchase.source, purchase.receipt_ref, purchase.party_id


def _stored_keys(organisation: Organisation, purchases: Sequence[Purchase]) -> set[tuple[str, str, int]]:
    wanted = {_key(p) for p in purchases}
    stored: set[tuple[str, str, int]] = set()
    for chunk in _chunks({p.receipt_ref for p in purchases}):
        rows = Purchase.objects.filter(organisation=organisation, receipt_ref__in=chunk).values_list(
            "source", "receipt_ref", "party_id"
        )
        stored.update(key for key in rows if key in wanted)
    return stored


@transaction.atomic
def purchases_bulk_create(*, user, rows: Sequence[PurchaseRow], field_prefix: str = "items") -> BulkResult:
    """Records the rows as one import batch, or none of them when any row is wrong.

    Rows already stored, or repeated within the call, are skipped and counted, so a retry is safe.
    Errors name the row as `<field_prefix>.<index>.<field>`.
    """
    require(user, Capability.CREATE_PURCHASES)
    _check(rows, field_prefix)
    organisation = organisation_of(user)
    purchases = _resolve(user=user, organisation=organisation, rows=rows, prefix=field_prefix)
    seen = _stored_keys(organisation, purchases)
    new: list[Purchase] = []
    for purchase in purchases:
        if _key(purchase) not in seen:
            seen.add(_key(purchase))
            new.append(purchase)
    if not new:
        return BulkResult(created=0, skipped=len(rows), batch_id=None)
    batch = ImportBatch.objects.create(organisation=organisation, source=API_SOURCE)
    for purchase in new:
        purchase.batch = batch
    # A parallel call may have stored some of the same receipts since the check; those are skipped too.
    Purchase.objects.bulk_create(new, batch_size=INSERT_CHUNK, ignore_conflicts=True)
    created = Purchase.objects.filter(batch=batch).count()
    if created == 0:
        batch.delete()
        return BulkResult(created=0, skipped=len(rows), batch_id=None)
    ImportBatch.objects.filter(pk=batch.pk).update(rows_accepted=created)
    return BulkResult(created=created, skipped=len(rows) - created, batch_id=batch.pk)


@transaction.atomic
def purchase_create(*, user, row: PurchaseRow) -> tuple[Purchase, bool]:
    """The purchase and True when it is new; the stored one and False when the same receipt is already there."""
    require(user, Capability.CREATE_PURCHASES)
    _check([row], None)
    organisation = organisation_of(user)
    (purchase,) = _resolve(user=user, organisation=organisation, rows=[row], prefix=None)
    source, receipt_ref, party_id = _key(purchase)
    same = Purchase.objects.filter(
        organisation=organisation, source=source, receipt_ref=receipt_ref, party_id=party_id
    )
    stored = same.first()
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            purchase.save(force_insert=True)
    except IntegrityError:  # the same receipt arrived in a parallel request
        return same.get(), False
    return purchase, True


# --- Status snapshots and events -------------------------------------------------------------------

FAN_MIN_PURCHASES = 3
Progress = Callable[[str, int, int], None]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


def purchase_columns(organisation_id: int):
    """(customer_id = party id, purchased_at = purchase day, amount) of every purchase, as Arrow.

    Amounts leave the database as whole kopecks (exact on both: SQLite keeps decimals as REAL) and
    become decimal(19, 2) without arithmetic: a decimal is its unscaled integer and a scale.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    table = connection.ops.quote_name(Purchase._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            query = (
                f"COPY (SELECT party_id, purchased_on, (amount * 100)::bigint FROM {table} "  # noqa: S608 - the table name comes from model metadata
                f"WHERE organisation_id = {int(organisation_id)}) TO STDOUT"
            )
            with cursor.cursor.copy(query) as copy:
                for block in copy:
                    buffer.write(block)
            buffer.seek(0)
            columns = pa_csv.read_csv(
                buffer,
                read_options=pa_csv.ReadOptions(column_names=["customer_id", "purchased_at", "kopecks"]),
                parse_options=pa_csv.ParseOptions(delimiter="\t"),
                convert_options=pa_csv.ConvertOptions(
                    column_types={"customer_id": pa.int64(), "purchased_at": pa.date32(), "kopecks": pa.int64()}
                ),
            )
            party_ids, days, kopecks = columns["customer_id"], columns["purchased_at"], columns["kopecks"]
        else:
            cursor.execute(
                f"SELECT party_id, CAST(purchased_on AS TEXT), CAST(ROUND(amount * 100) AS INTEGER) FROM {table} "  # noqa: S608 - as above
                "WHERE organisation_id = %s",
                [organisation_id],
            )
            rows = cursor.fetchall()
            party_ids, days, kopecks = zip(*rows, strict=True) if rows else ((), (), ())
            party_ids = pa.array(party_ids, pa.int64())
            days = pa.array(days, pa.string()).cast(pa.date32())
            kopecks = pa.array(kopecks, pa.int64())
    if isinstance(kopecks, pa.ChunkedArray):
        kopecks = kopecks.combine_chunks()
    amount = kopecks.cast(pa.decimal128(19, 0)).view(pa.decimal128(19, 2))
    return pa.table({"customer_id": party_ids, "purchased_at": days, "amount": amount})


def _party_columns(organisation: Organisation):
    """The guests of the base as the engine reads parties (romashka.engine.prospects.PARTY_COLUMNS), as Arrow."""
    import pyarrow as pa
    from django.db.models import BooleanField, ExpressionWrapper

    from romashka.discovery.selectors import not_ours_q

    zone = ZoneInfo(organisation.time_zone)
    contacts = Channel.objects.filter(party=OuterRef("pk"))
    # Not our clients (discovery) are no target: the engine never makes them prospects.
    not_ours = ExpressionWrapper(not_ours_q(organisation_id=organisation.pk), output_field=BooleanField())
    rows = (
        Party.objects.filter(organisation=organisation, roles__kind=PartyKind.GUEST)
        .annotate(has_contact=Exists(contacts), not_ours=not_ours)
        .values_list("pk", "created_at", "has_contact", "form", "city", "gender", "birthday", "acquisition_channel",
                     "not_ours")
    )
    columns: list[list] = [[] for _ in range(9)]
    for row in rows.iterator(chunk_size=10_000):
        for index, value in enumerate(row):
            columns[index].append(value.astimezone(zone).date() if index == 1 else value)
    types = [pa.int64(), pa.date32(), pa.bool_(), pa.string(), pa.string(), pa.string(), pa.date32(), pa.string(),
             pa.bool_()]
    names = ["customer_id", "recorded_on", "has_contact", "form", "city", "gender", "birthday", "acquisition_channel",
             "not_ours"]
    return pa.table({name: pa.array(values, kind) for name, values, kind in zip(names, columns, types, strict=True)})


def _target_profiles(organisation: Organisation) -> list:
    from romashka.engine.prospects import TargetProfile as Profile

    def listed(text: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in text.split(",") if part.strip())

    return [
        Profile(form=p.form, cities=listed(p.cities), gender=p.gender, age_min=p.age_min, age_max=p.age_max,
                acquisition_channels=listed(p.acquisition_channels))
        for p in TargetProfile.objects.filter(organisation=organisation, is_active=True)
    ]


def _text(column) -> list:
    """An Arrow date, decimal or number column as the text bulk_insert hands to the database (None stays)."""
    import pyarrow as pa

    return column.cast(pa.string()).to_pylist()


def today_of(organisation: Organisation) -> date:
    """Today's date in the organisation's time zone: the default date of a refresh."""
    return timezone.localdate(timezone=ZoneInfo(organisation.time_zone))


def status_refresh(*, organisation: Organisation, as_of: date, progress: Progress | None = None) -> dict:
    """Recomputes every party's status snapshot and status events up to `as_of`; running it twice changes nothing.

    Rules: the default rule set with the organisation's purchase cycle (fan from 3 purchase days, lost
    after 3 cycles), or a client's override of its home location or most frequent category
    (`cycle_services.client_rules`); beside the status, each client's personal rhythm and overdue flag.
    Guests recorded before their first purchase day (or who never bought) are leads, or prospects when
    they have no contact and match an active target profile, from the day they were recorded.
    Returns the counts per status of the snapshot, the number of events and the seconds it took.
    """
    import ibis
    import pyarrow as pa
    import pyarrow.compute as pc

    from romashka.engine import lifecycle_table
    from romashka.engine.cycle import rhythm_table
    from romashka.engine.history import history_table
    from romashka.engine.parameters import RuleParameters, lifecycle_and_history_tables
    from romashka.engine.prospects import pre_purchase_expr
    from romashka.path.cycle_services import client_rules

    progress = progress or _no_progress
    started = time.perf_counter()
    cycle_days = organisation.default_cycle_days
    parameters = dict(
        as_of=as_of, cycle_days=cycle_days, fan_min_purchases=FAN_MIN_PURCHASES, lost_after_days=3 * cycle_days
    )

    progress("purchases", 0, 4)
    purchases = purchase_columns(organisation.pk)
    read_at = time.perf_counter()
    progress("statuses", 1, 4)
    backend = ibis.duckdb.connect()
    rules = client_rules(organisation=organisation)
    parties = backend.to_pyarrow(
        pre_purchase_expr(ibis.memtable(_party_columns(organisation)), profiles=_target_profiles(organisation),
                          as_of=as_of)
    )
    if rules.parameters is None:
        current = lifecycle_table(purchases, backend=backend, ordered=False, parties=parties, **parameters)
        events = history_table(purchases, backend=backend, ordered=False, parties=parties, **parameters)
    else:  # overrides of a location or category: each client under its own cycle
        current, events = lifecycle_and_history_tables(
            purchases, as_of=as_of, defaults=RuleParameters(cycle_days, FAN_MIN_PURCHASES, 3 * cycle_days),
            parameters=rules.parameters, parties=parties, backend=backend,
        )
    rhythm = rhythm_table(purchases, as_of=as_of, factors=rules.factors, backend=backend)
    rhythm_by_party = dict(
        zip(
            pc.cast(rhythm["customer_id"], pa.int64()).to_pylist(),
            zip(_text(rhythm["rhythm_days"].cast(pa.decimal128(7, 1))), rhythm["overdue"].to_pylist(), strict=True),
            strict=True,
        )
    )
    since = events.group_by("customer_id").aggregate([("changed_on", "max")])
    since_by_party = dict(
        zip(pc.cast(since["customer_id"], pa.int64()).to_pylist(), since["changed_on_max"].to_pylist(), strict=True)
    )

    computed_at = time.perf_counter()
    progress("writing", 2, 4)
    party_ids = pc.cast(current["customer_id"], pa.int64()).to_pylist()

    as_of_text = as_of.isoformat()
    snapshot_rows = [
        (organisation.pk, party_id, status, won_back, purchase_days, episode_days, first, last, recency,
         monetary, as_of_text, since.isoformat() if since else None, *rhythm_by_party.get(party_id, (None, False)))
        for party_id, status, won_back, purchase_days, episode_days, first, last, recency, monetary, since in zip(
            party_ids,
            current["status"].to_pylist(),
            current["won_back"].to_pylist(),
            current["purchase_days"].to_pylist(),
            current["episode_purchase_days"].to_pylist(),
            _text(current["first_purchase"]),
            _text(current["last_purchase"]),
            current["recency_days"].to_pylist(),
            _text(current["monetary"]),
            (since_by_party.get(party_id) for party_id in party_ids),
            strict=True,
        )
    ]
    event_rows = zip(
        (organisation.pk for _ in range(events.num_rows)),
        pc.cast(events["customer_id"], pa.int64()).to_pylist(),
        _text(events["changed_on"]),
        events["from_status"].to_pylist(),
        events["to_status"].to_pylist(),
        events["won_back"].to_pylist(),
        strict=True,
    )
    with transaction.atomic():
        StatusEvent.objects.filter(organisation=organisation).delete()
        StatusSnapshot.objects.filter(organisation=organisation).delete()
        snapshots_written = bulk_insert(
            StatusSnapshot,
            ["organisation", "party", "status", "won_back", "purchase_days", "episode_purchase_days",
             "first_purchase", "last_purchase", "recency_days", "monetary", "as_of", "status_since",
             "rhythm_days", "overdue"],
            snapshot_rows,
        )
        events_written = bulk_insert(
            StatusEvent, ["organisation", "party", "changed_on", "from_status", "to_status", "won_back"], event_rows
        )
    with connection.cursor() as cursor:  # fresh statistics, so the planner probes the new indexes
        for model in (StatusEvent, StatusSnapshot):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    counts = {status.value: 0 for status in Status}
    for row in snapshot_rows:
        counts[row[2]] += 1
    progress("done", 4, 4)
    finished = time.perf_counter()
    return {
        "as_of": as_of,
        "cycle_days": cycle_days,
        "snapshots": snapshots_written,
        "events": events_written,
        "counts": counts,
        "won_back": sum(1 for row in snapshot_rows if row[3]),
        "seconds": round(finished - started, 2),
        # Where the time went: purchases out of the database, the engine, snapshots and events back in.
        "stage_seconds": {
            "read": round(read_at - started, 2),
            "compute": round(computed_at - read_at, 2),
            "write": round(finished - computed_at, 2),
        },
    }
