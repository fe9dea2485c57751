"""The import service on the demo network: all or nothing, idempotent, clients matched or created, statuses refreshed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction

from romashka.core.models import Channel, Employee, Location, Organisation, Party
from romashka.imports.services import ImportOptions, file_import
from romashka.ingest.readers import IngestError
from romashka.path.models import Purchase, StatusRefresh, StatusSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(demo_network):
    return Organisation.objects.get()


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def purchases_file(tmp_path, location_code, *, with_receipts=True):
    receipt = ";Номер чека" if with_receipts else ""
    lines = [f"Номер карты;Дата чека;Сумма;Точка{receipt}"]
    rows = [
        ("7700000001", "01.11.2026 10:30", "1 234,50", location_code, "R-1"),
        ("7700000001", "01.11.2026 10:30", "100,00", location_code, "R-1"),  # a second line of the same receipt
        ("7700000002", "02.11.2026", "500", location_code, "R-2"),
        ("7700000002", "02.11.2026", "500", location_code, "R-3"),  # identical values, another receipt
        ("7700000003", "99.11.2026", "5", location_code, "R-4"),
        ("7700000004", "03.11.2026", "5", "НЕТ-ТАКОЙ", "R-5"),
        ("Итого", "", "2 339,50", "", ""),
    ]
    for row in rows:
        lines.append(";".join(row if with_receipts else row[:4]))
    return write(tmp_path / "pos.csv", "\r\n".join(lines) + "\r\n", "cp1251")


def test_purchases_import_then_reimport_adds_nothing(tmp_path, organisation):
    location = Location.objects.filter(organisation=organisation).first()
    path = purchases_file(tmp_path, location.code)
    before = Purchase.objects.count()
    refreshes = StatusRefresh.objects.count()
    result = file_import(organisation=organisation, path=path, options=ImportOptions(source="pos"))
    assert {k: result[k] for k in ("rows", "accepted", "rejected", "customers", "amount_total", "rejected_by_reason",
                                     "added", "already_there", "clients_added")} == {
        "rows": 7, "accepted": 4, "rejected": 3, "customers": 2, "amount_total": "2334.50",
        "rejected_by_reason": {"bad_date": 1, "totals_line": 1, "unknown_location": 1},
        "added": 4, "already_there": 0, "clients_added": 2,
    }
    assert Purchase.objects.count() == before + 4
    new = Party.objects.get(organisation=organisation, external_id="7700000001")
    assert new.home_location_id == location.pk
    assert sorted(Purchase.objects.filter(party=new).values_list("receipt_ref", "amount")) == [
        ("R-1", Decimal("1234.50")), ("R-1#2", Decimal("100.00"))]
    first = Purchase.objects.filter(party=new).order_by("receipt_ref").first()
    assert first.occurred_at.isoformat() == "2026-11-01T07:30:00+00:00"  # 10:30 in Moscow
    assert str(first.purchased_on) == "2026-11-01"
    # The client's path refreshed: the new guests have statuses.
    assert StatusRefresh.objects.count() == refreshes + 1
    assert StatusSnapshot.objects.get(party=new).status == "novice"

    again = file_import(organisation=organisation, path=path, options=ImportOptions(source="pos"))
    assert (again["added"], again["already_there"], again["clients_added"]) == (0, 4, 0)
    assert Purchase.objects.count() == before + 4


def test_without_receipts_the_row_key_and_its_occurrence_make_reimport_idempotent(tmp_path, organisation):
    location = Location.objects.filter(organisation=organisation).first()
    path = purchases_file(tmp_path, location.code, with_receipts=False)
    result = file_import(organisation=organisation, path=path, refresh=False)
    assert result["added"] == 4  # the two identical rows of 7700000002 are two purchases
    # A later export that overlaps: the same four rows and one more.
    text = path.read_bytes().decode("cp1251").replace("Итого", f"7700000009;04.11.2026;77;{location.code}\r\nИтого")
    later = write(tmp_path / "later.csv", text, "cp1251")
    result = file_import(organisation=organisation, path=later, refresh=False)
    assert (result["added"], result["already_there"]) == (1, 4)


def test_existing_clients_are_matched_by_external_id(tmp_path, organisation):
    guest = Party.objects.filter(organisation=organisation, roles__kind="guest", external_id__isnull=False).first()
    count = Purchase.objects.filter(party=guest).count()
    path = write(tmp_path / "p.csv", f"customer_id,purchased_at,amount\n{guest.external_id},2026-11-20T12:00:00,99.90\n")
    result = file_import(organisation=organisation, path=path, refresh=False)
    assert (result["added"], result["clients_added"]) == (1, 0)
    assert Purchase.objects.filter(party=guest).count() == count + 1


def test_a_failure_while_writing_leaves_the_database_as_before(tmp_path, organisation, monkeypatch):
    location = Location.objects.filter(organisation=organisation).first()
    path = purchases_file(tmp_path, location.code)
    purchases, parties = Purchase.objects.count(), Party.objects.count()
    from romashka.imports import services

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process were stopped after the clients and purchases went in

    monkeypatch.setattr(services.PurchasesWriter, "_guest_roles", killed)
    with pytest.raises(KeyboardInterrupt):
        file_import(organisation=organisation, path=path)
    assert (Purchase.objects.count(), Party.objects.count()) == (purchases, parties)
    monkeypatch.undo()
    result = file_import(organisation=organisation, path=path, refresh=False)
    assert result["added"] == 4
    assert Purchase.objects.count() == purchases + 4


def test_dry_run_writes_nothing(tmp_path, organisation):
    location = Location.objects.filter(organisation=organisation).first()
    path = purchases_file(tmp_path, location.code)
    purchases, parties = Purchase.objects.count(), Party.objects.count()
    result = file_import(organisation=organisation, path=path, dry_run=True)
    assert result["accepted"] == 4 and "added" not in result
    assert (Purchase.objects.count(), Party.objects.count()) == (purchases, parties)


def test_clients_with_phones_emails_and_consent(tmp_path, organisation):
    path = write(tmp_path / "clients.csv",
                 "Номер карты;ФИО;Телефон;E-mail;Дата рождения;Согласие\n"
                 "C-0001;Иванова Анна;8 (916) 555-44-33;anna@example.ru;05.06.1990;да\n"
                 "C-0002;Петров Иван;+7 916 555 44 32;;;нет\n"
                 "C-0001;Иванова Анна (дубль);;;;\n")
    result = file_import(organisation=organisation, path=path, refresh=False)
    assert (result["added"], result["rejected_by_reason"]) == (2, {"duplicate_id": 1})
    anna = Party.objects.get(organisation=organisation, external_id="C-0001")
    assert (anna.name, str(anna.birthday)) == ("Иванова Анна", "1990-06-05")
    phone = Channel.objects.get(party=anna, kind="phone")
    assert (phone.value, phone.normalized, phone.has_consent) == ("8 (916) 555-44-33", "+79165554433", True)
    assert Channel.objects.get(party=anna, kind="email").normalized == "anna@example.ru"
    assert not Channel.objects.get(party__external_id="C-0002").has_consent
    again = file_import(organisation=organisation, path=path, refresh=False)
    assert (again["added"], again["already_there"], again["channels_added"]) == (0, 2, 0)


def test_employees_and_supplier_orders(tmp_path, organisation):
    location = Location.objects.filter(organisation=organisation).first()
    staff = write(tmp_path / "staff.csv", "ФИО;Точка;Отдел;Должность;Дата приёма\n"
                  f"Новикова Ольга;{location.code};Зал;Официант;01.03.2026\n")
    result = file_import(organisation=organisation, path=staff)
    assert result["added"] == 1
    employee = Employee.objects.get(party__name="Новикова Ольга")
    assert (employee.location_id, employee.department.name, employee.position) == (location.pk, "Зал", "Официант")
    assert file_import(organisation=organisation, path=staff)["added"] == 0

    from romashka.chamomile.models import SupplierOrder

    orders = write(tmp_path / "orders.csv", "Поставщик;ИНН;Дата заказа;Сумма\n"
                   "ООО Новая Мука;7700000000;01.02.2026;15 000,00\nООО Новая Мука;7700000000;01.03.2026;1 000\n")
    result = file_import(organisation=organisation, path=orders)
    assert (result["added"], result["suppliers_added"]) == (2, 1)
    assert SupplierOrder.objects.filter(supplier__name="ООО Новая Мука").count() == 2
    assert file_import(organisation=organisation, path=orders)["added"] == 0


def test_bad_input_writes_nothing(tmp_path, organisation):
    purchases = Purchase.objects.count()
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(IngestError, match="empty"):
        file_import(organisation=organisation, path=path)
    assert Purchase.objects.count() == purchases
    assert connection.vendor in ("sqlite", "postgresql")


def test_rows_are_staged_before_the_write_transaction_which_is_a_few_statements(tmp_path, organisation, monkeypatch):
    """SQLite locks the whole database for a write transaction: the rows go to TEMP tables before it, and
    inside it only a handful of INSERT … SELECT statements run (PostgreSQL: COPY in the transaction)."""
    from romashka.imports import services

    location = Location.objects.filter(organisation=organisation).first()
    path = purchases_file(tmp_path, location.code)
    outer = len(connection.savepoint_ids)  # the test's own transaction
    staged, inside = [], []
    real_insert = services._sqlite_insert

    def spy_insert(target, table, *args, **kwargs):
        staged.append((table, len(connection.savepoint_ids)))
        return real_insert(target, table, *args, **kwargs)

    def spy_execute(execute, sql, params, many, context):
        if len(connection.savepoint_ids) > outer:
            inside.append((sql.split()[0], many))
        return execute(sql, params, many, context)

    monkeypatch.setattr(services, "_sqlite_insert", spy_insert)
    with connection.execute_wrapper(spy_execute):
        result = file_import(organisation=organisation, path=path, options=ImportOptions(source="lock"), refresh=False)
    assert result["added"] == 4
    if connection.vendor == "sqlite":
        assert {table for table, _depth in staged} == {
            "temp.import_new_clients", "temp.import_customers", "temp.import_purchases"}
        assert {depth for _table, depth in staged} == {outer}  # all before the transaction
        assert not any(many for _sql, many in inside)  # no executemany under the lock
        assert len(inside) < 20
    else:
        assert staged == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("missing", ["location", "client"])
@pytest.mark.parametrize("first_load", [False, True], ids=["small", "first-load"])
def test_a_reference_that_does_not_exist_fails_the_import_and_writes_nothing(tmp_path, monkeypatch, missing,
                                                                               first_load):
    """Where the database does not look row by row, the import checks the references itself: SQLite writes
    with its per-row foreign-key lookups off, and a first load into PostgreSQL (``first_load``: every
    table's keys dropped and taken back NOT VALID) leaves the rows it loaded to the import's set-wise check.
    A location or a client that does not exist fails the import either way, and nothing stays behind."""
    from django.db import IntegrityError

    from romashka.imports import services

    organisation = Organisation.objects.create(name="Блинные")
    location = Location.objects.create(organisation=organisation, code="MSK-01", name="Блинная", city="Москва")
    if first_load:  # a four-row file takes the path of a history's first load of millions
        monkeypatch.setattr(services, "BULK_REBUILD_MIN_ROWS", 1)
    if missing == "location":
        real_locations = services._locations

        def wrong(parsed, org):
            real_locations(parsed, org)
            parsed.connection.execute("UPDATE location_ids SET location_id = location_id + 1000")

        monkeypatch.setattr(services, "_locations", wrong)
    elif connection.vendor == "sqlite":
        real_map = services.PurchasesWriter._sqlite_party_map

        def wrong(self):
            real_map(self)
            with connection.cursor() as cursor:
                cursor.execute("UPDATE temp.import_party_map SET party_id = party_id + 100000 WHERE ordinal = 1")

        monkeypatch.setattr(services.PurchasesWriter, "_sqlite_party_map", wrong)
    else:
        real_clients = services.PurchasesWriter._copy_clients

        def wrong(self):
            added = real_clients(self)
            self.sql("UPDATE customer_parties SET party_id = party_id + 100000 WHERE ordinal = 1")
            return added

        monkeypatch.setattr(services.PurchasesWriter, "_copy_clients", wrong)
    path = purchases_file(tmp_path, location.code)
    with pytest.raises(IntegrityError):
        file_import(organisation=organisation, path=path, refresh=False)
    assert (Purchase.objects.filter(organisation=organisation).count(),
            Party.objects.filter(organisation=organisation).count()) == (0, 0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1  # switched back on
    monkeypatch.undo()
    if first_load:
        monkeypatch.setattr(services, "BULK_REBUILD_MIN_ROWS", 1)
    assert file_import(organisation=organisation, path=path, refresh=False)["added"] == 4
    if connection.vendor == "postgresql" and first_load:
        with connection.cursor() as cursor:  # the keys are back, and refuse a wrong client from now on
            cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = "
                           "'path_purchase'::regclass AND NOT convalidated")
            assert cursor.fetchone()[0] == 4
        with pytest.raises(IntegrityError), transaction.atomic():
            Purchase.objects.filter(organisation=organisation).update(party_id=10**9)


def test_a_failure_while_the_rows_are_computed_stops_the_copy_and_leaves_the_table_as_before(tmp_path, organisation):
    """The rows go to the database while DuckDB still computes them (PostgreSQL: a producer thread feeds
    COPY); a value DuckDB cannot compute halfway through raises its error here (through Arrow's reader: an
    OSError), nothing of the table is written, and the connection goes on working."""
    import duckdb

    from romashka.imports import services
    from romashka.ingest.tables import read_table

    location = Location.objects.filter(organisation=organisation).first()
    before = Party.objects.count()
    columns = services._columns(Party, services.PARTY_FIELDS)
    # 200,000 good rows, then one whose name cannot be computed: several batches have gone out by then.
    select = (
        f"SELECT {organisation.pk}, 'person', CASE WHEN i < 200000 THEN 'guest ' || i ELSE "  # noqa: S608
        "CAST(error('no name for this row') AS VARCHAR) END, 'X-' || i, NULL, NULL, '', '', '', '', "
        f"'{services._now_text()}' FROM range(200001) t(i)"
    )
    with (
        read_table(purchases_file(tmp_path, location.code)) as parsed,
        pytest.raises((duckdb.Error, OSError), match="no name for this row"),
        transaction.atomic(),
    ):
        services._copy_into(parsed, services._quoted_table(Party), columns, select, rows=200001,
                            progress=services._no_progress, stage="clients")
    assert Party.objects.count() == before
    assert Party.objects.filter(external_id="X-1").count() == 0
