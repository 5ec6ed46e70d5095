"""Database helpers for tests."""

from __future__ import annotations

from django.db import DatabaseError, connection


def planner_row_count(model) -> int | None:
    """The row count the database's planner statistics hold for ``model``'s table."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
            return int(row[0]) if row and row[0] >= 0 else None
        try:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        except DatabaseError:
            return None
        row = cursor.fetchone()
        return int(row[0].split()[0]) if row else None
