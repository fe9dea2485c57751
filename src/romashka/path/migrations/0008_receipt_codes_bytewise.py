"""Receipt numbers and sources compare byte by byte on PostgreSQL (core.fields.CodeField).

Only PostgreSQL's columns change (collation "C"); SQLite compares bytes already, and there a plain
AlterField would copy the whole purchase table, twice, for nothing.
"""

from django.db import migrations

import romashka.core.fields


class OnPostgres(migrations.operations.base.Operation):
    """The operation's state change everywhere, its schema change on PostgreSQL only."""

    reversible = True

    def __init__(self, operation):
        self.operation = operation

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.operation.describe()} (PostgreSQL's schema only)"


class Migration(migrations.Migration):
    dependencies = [
        ("path", "0007_cycle_override_segment"),
    ]

    operations = [
        OnPostgres(
            migrations.AlterField(
                model_name="purchase",
                name="receipt_ref",
                field=romashka.core.fields.CodeField(max_length=100, verbose_name="receipt"),
            )
        ),
        OnPostgres(
            migrations.AlterField(
                model_name="purchase",
                name="source",
                field=romashka.core.fields.CodeField(default="manual", max_length=100, verbose_name="source"),
            )
        ),
    ]
