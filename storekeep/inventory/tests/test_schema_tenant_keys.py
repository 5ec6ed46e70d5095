"""SPEC §2/§12: every index and unique constraint of a tenant-owned table leads with tenant_id.

Walks the real schema (database introspection), so it covers every app's tables, including
indexes Django adds on its own (foreign keys, ``unique=True``, PostgreSQL ``_like`` indexes).
"""

import pytest
from django.db import connection


def _tenant_tables(cursor) -> list[str]:
    tables = []
    for table in connection.introspection.table_names(cursor):
        if table.split("_", 1)[-1].startswith(
            "historical"
        ):  # simple_history copies: not indexed by tenant
            continue
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        if "tenant_id" in columns:
            tables.append(table)
    return tables


def _offenders() -> list[str]:
    offenders = []
    with connection.cursor() as cursor:
        tables = _tenant_tables(cursor)
        for table in tables:
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if info["primary_key"] or not (info["index"] or info["unique"]):
                    continue  # the pk, CHECKs and FK constraints are not indexes
                columns = info["columns"] or []
                if not columns or columns[0] != "tenant_id":
                    offenders.append(
                        f"{table}.{name} ({', '.join(c or '<expr>' for c in columns)})"
                    )
    assert len(tables) >= 10, tables  # the walk really saw the tenant-owned tables
    return offenders


@pytest.mark.django_db
def test_every_index_and_unique_constraint_of_tenant_tables_leads_with_tenant_id():
    offenders = _offenders()
    assert offenders == [], "indexes/unique constraints not leading with tenant_id:\n" + "\n".join(
        sorted(offenders)
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_postgresql_catalog_agrees():
    """pg_index directly: the first key column of every non-primary index on a tenant table."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT t.relname, i.relname, a.attname
            FROM pg_index ix
            JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = current_schema()
            LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[0]
            WHERE NOT ix.indisprimary
              AND t.relname NOT LIKE '%%historical%%'
              AND EXISTS (SELECT 1 FROM pg_attribute c WHERE c.attrelid = t.oid AND c.attname = 'tenant_id'
                          AND NOT c.attisdropped)
        """)
        rows = cursor.fetchall()
    assert rows, "no index found on tenant tables"
    offenders = [
        f"{table}.{index} ({first})" for table, index, first in rows if first != "tenant_id"
    ]
    assert offenders == [], "\n".join(sorted(offenders))


@pytest.mark.django_db
def test_every_tenant_table_has_an_index_leading_with_tenant_id_and_no_lone_one_beside_it():
    """The tenant foreign key has no index of its own (TenantScopedModel): a composite index or
    unique constraint leading with tenant_id serves it (deleting a tenant, joins), and a lone
    (tenant_id) index next to one would only slow every insert down."""
    uncovered, redundant = [], []
    with connection.cursor() as cursor:
        for table in _tenant_tables(cursor):
            leading = [
                tuple(info["columns"] or ())
                for info in connection.introspection.get_constraints(cursor, table).values()
                if not info["primary_key"]
                and (info["index"] or info["unique"])
                and (info["columns"] or [None])[0] == "tenant_id"
            ]
            if not leading:
                uncovered.append(table)
            elif ("tenant_id",) in leading and any(len(cols) > 1 for cols in leading):
                redundant.append(table)
    assert uncovered == [], f"tenant tables without an index leading with tenant_id: {uncovered}"
    assert redundant == [], (
        f"tenant tables with a lone (tenant_id) index beside a composite one: {redundant}"
    )
