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


def allow_ledger_truncate_in_test_flush() -> None:
    """Let the test database's own flush truncate the append-only ledger.

    The ledger's ``BEFORE TRUNCATE`` trigger (inventory migration 0006) refuses
    every ``TRUNCATE`` unless the transaction set ``storekeep.allow_truncate``;
    Django's ``flush`` (run between transactional tests on PostgreSQL) sets it
    here, in the test harness only.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    if getattr(DatabaseOperations.execute_sql_flush, "_storekeep_allows_truncate", False):
        return
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        allow = "SELECT set_config('storekeep.allow_truncate', 'on', true)"
        return original(self, [allow, *sql_list] if sql_list else sql_list)

    execute_sql_flush._storekeep_allows_truncate = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush
