"""Bulk loading drops and rebuilds the purchase table's indexes: after it, every index and key is back."""

import pytest
from django.db import connection, transaction

from romashka.core.bulk import secondary_indexes_deferred
from romashka.path.models import Purchase


def _purchase_constraints() -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, Purchase._meta.db_table)


def _assert_all_present(constraints: dict) -> None:
    index_columns = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
    for index in Purchase._meta.indexes:
        columns = tuple(Purchase._meta.get_field(name).column for name in index.fields)
        assert columns in index_columns, f"index on {columns} is missing"
    unique = {tuple(c["columns"]) for c in constraints.values() if c["unique"] and not c["primary_key"]}
    assert ("organisation_id", "source", "receipt_ref", "party_id") in unique
    foreign = {c["columns"][0] for c in constraints.values() if c["foreign_key"]}
    assert {"organisation_id", "party_id", "location_id", "batch_id"} <= foreign


@pytest.mark.django_db
def test_the_demo_load_leaves_every_index_and_key_of_purchases(demo_network):
    assert Purchase.objects.exists()
    _assert_all_present(_purchase_constraints())


@pytest.mark.django_db
def test_a_failed_load_restores_the_indexes(demo_network):
    before = _purchase_constraints()
    with pytest.raises(RuntimeError), transaction.atomic(), secondary_indexes_deferred(Purchase):
        raise RuntimeError("the load failed half-way")
    after = _purchase_constraints()
    assert set(after) == set(before)
    _assert_all_present(after)


@pytest.mark.django_db
def test_receipt_numbers_and_sources_compare_byte_by_byte():
    """The receipt constraint sorts them when it is rebuilt after a load: bytewise, without strcoll."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT column_name, collation_name FROM information_schema.columns WHERE table_name = %s "
                "AND column_name IN ('receipt_ref', 'source', 'category') ORDER BY column_name",
                [Purchase._meta.db_table],
            )
            assert cursor.fetchall() == [("category", None), ("receipt_ref", "C"), ("source", "C")]
        else:  # SQLite's default collation, BINARY, is byte by byte already
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [Purchase._meta.db_table])
            assert "COLLATE" not in cursor.fetchone()[0].upper()
