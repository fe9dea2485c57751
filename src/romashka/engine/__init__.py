"""Pure analytics of the client's path: ibis expressions in, Arrow out; no Django, no I/O."""

from romashka.engine.lifecycle import LIFECYCLE_COLUMNS, STATUSES, lifecycle_expr, lifecycle_table

__all__ = ["LIFECYCLE_COLUMNS", "STATUSES", "lifecycle_expr", "lifecycle_table"]
