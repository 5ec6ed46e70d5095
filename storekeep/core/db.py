"""Transactions and row locks: the one way services open a transaction and lock rows.

Transactions (SPEC §3.4): :func:`run_atomic` and its decorator form
:func:`atomic_with_retry` run an operation in one transaction, retried a few
times on deadlock / serialization failure. When the caller already holds a
transaction, only the caller can retry, so the operation runs inside it:

* by default it joins the caller's transaction (a failure aborts the caller's
  work too, which is what the caller wants when the operation is one step of
  its own, e.g. the engine called by a transfer);
* with ``savepoint=True`` it runs in a savepoint, so a refused operation
  (409 ``insufficient_stock``…) leaves nothing written and the caller's
  transaction usable (a POS command run inside an idempotent view, or one
  cart of a batch that falls back to cart-by-cart).

Row locks (STYLE, Saleor ``lock_objects.py``): every ``SELECT … FOR UPDATE``
goes through :func:`lock_rows`. All rows of an operation are locked in one
query, in ascending primary-key order, so concurrent operations over
overlapping rows cannot deadlock on each other. Parent document first
(sale / transfer / PO / register row), then the stock rows. On SQLite
``select_for_update`` is a no-op: IMMEDIATE transactions serialise writers.
"""

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet

from .errors import ConcurrentUpdate

T = TypeVar("T")

_RETRYABLE_PG_STATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is a deadlock / serialization / lock-timeout failure worth a retry."""
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in _RETRYABLE_PG_STATES:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "deadlock" in text


def run_atomic(fn: Callable[[], T], *, savepoint: bool = False, retries: int | None = None) -> T:
    """Run ``fn`` in one transaction, retrying it on deadlock/serialization failures.

    Inside an enclosing ``atomic`` block ``fn`` runs there (only the outermost
    transaction can be retried, so the retry belongs to its owner): joined,
    or in a savepoint when ``savepoint`` (see the module docstring).
    After ``retries`` failed attempts (default ``settings.STOREKEEP_TX_RETRIES``)
    raises :class:`ConcurrentUpdate` (409 ``concurrent_update``).
    """
    if connection.in_atomic_block:
        if savepoint:
            with transaction.atomic():
                return fn()
        return fn()
    attempts = settings.STOREKEEP_TX_RETRIES if retries is None else retries
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return fn()
        except OperationalError as exc:
            if not is_retryable(exc):
                raise
            time.sleep(min(0.2, 0.005 * (2**attempt)) * (0.5 + random.random()))
    raise ConcurrentUpdate(details={"attempts": attempts})


def atomic_with_retry(fn: Callable[..., T] | None = None, *, savepoint: bool = False):
    """Decorator form of :func:`run_atomic` for service functions.

    ``@atomic_with_retry`` joins a caller's transaction when nested;
    ``@atomic_with_retry(savepoint=True)`` runs in a savepoint when nested.
    """

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return run_atomic(lambda: func(*args, **kwargs), savepoint=savepoint)

        return wrapper

    return decorate(fn) if fn is not None else decorate


def lock_rows(queryset: QuerySet, *, skip_locked: bool = False) -> list:
    """Evaluate ``queryset`` with ``SELECT … FOR UPDATE OF <its table>`` in pk order.

    Returns the rows as a list (model instances, or tuples for a
    ``values_list`` queryset). Joined tables (``select_related``) are read,
    not locked. ``skip_locked`` leaves out rows another transaction holds
    (``SKIP LOCKED``), for opportunistic work that must not wait behind their
    owner. Must run inside a transaction.
    """
    return list(_for_update(queryset, skip_locked=skip_locked))


def lock_row(queryset: QuerySet):
    """The first row (by pk) of ``queryset``, locked as :func:`lock_rows` locks, or ``None``."""
    rows = list(_for_update(queryset, skip_locked=False)[:1])
    return rows[0] if rows else None


def _for_update(queryset: QuerySet, *, skip_locked: bool) -> QuerySet:
    return queryset.order_by("pk").select_for_update(of=("self",), skip_locked=skip_locked)


def analyze_tables(models) -> list[str]:
    """Refresh the planner statistics of ``models``' tables (``ANALYZE``), after a bulk load.

    ``models``: model classes (proxy and unmanaged ones are skipped; each table
    once). A freshly bulk-loaded table has no statistics until autovacuum gets
    to it, and the planner then picks sequential scans and disk sorts for the
    first reads. PostgreSQL and SQLite both run ``ANALYZE <table>`` (cheap: a
    sample of 30,000 rows per table); on PostgreSQL outside a transaction it is
    ``VACUUM (ANALYZE)``, which also sets the visibility map so that reports can
    use index-only scans at once. Returns the table names analyzed.
    """
    tables: list[str] = []
    for model in models:
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in tables:
            continue
        tables.append(meta.db_table)
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")
    return tables


def analyze_apps(*labels: str) -> list[str]:
    """:func:`analyze_tables` for every model of the apps ``labels`` (e.g. ``"inventory"``)."""
    from django.apps import apps

    return analyze_tables(
        model for label in labels for model in apps.get_app_config(label).get_models()
    )


# ------------------------------------------------------------ hand-written hot statements


def column_list(model, names, alias: str | None = None) -> str:
    """``"col", "col"…`` (qualified by ``alias`` when given) of ``model``'s fields ``names``
    (attnames), for a hand-written statement read with :func:`fetch_rows`."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return ", ".join(prefix + quote(by_attname[name].column) for name in names)


def any_of(model, attname: str, values) -> tuple[str, list]:
    """``column = ANY(%s::<its type>[])`` with the values as one array on PostgreSQL (the
    statement text stays the same whatever their number), ``column IN (%s, …)`` elsewhere,
    for ``model``'s field ``attname``: (SQL, params); as the ``__any_of`` lookup compiles.
    ``values`` must not be empty."""
    field = model._meta.get_field(attname)
    column = connection.ops.quote_name(field.column)
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{field.db_type(connection)}[])", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def for_update() -> str:
    """`` FOR UPDATE`` where the backend locks rows (PostgreSQL), else nothing (SQLite
    serialises writers itself), as ``select_for_update`` compiles."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


@functools.cache
def _converters(vendor: str, columns: tuple) -> tuple:
    found = []
    for index, (model, attname) in enumerate(columns):
        if model is None:
            continue
        col = model._meta.get_field(attname).get_col(model._meta.db_table)  # name or attname
        steps = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if steps:
            found.append((index, col, tuple(steps)))
    return tuple(found)


def bound_cursor():
    """A cursor on Django's connection whose parameters are bound on the server (PostgreSQL),
    so a statement whose text does not change is prepared once per connection (psycopg
    prepares it from its fifth run) and later runs skip parsing and planning; on other
    backends Django's own cursor.

    Wrapped like Django's own cursors, so query logging, ``execute_wrapper``
    and query-count assertions see its statements.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return _BoundDebugCursor(raw, connection)
    return connection.make_cursor(raw)


class _BoundDebugCursor(CursorWrapper):
    """Logs :func:`bound_cursor` statements with their values written in (Django's debug
    cursor reads the text from psycopg, which has none once a statement is prepared), so
    query logging and ``CaptureQueriesContext`` see every statement and its SQL."""

    def execute(self, sql, params=None):
        start = time.monotonic()
        try:
            return super().execute(sql, params)
        finally:
            duration = time.monotonic() - start
            self.db.queries_log.append({"sql": _readable(sql, params), "time": f"{duration:.3f}"})


def _readable(sql: str, params) -> str:
    try:
        return connection.ops.compose_sql(sql.replace("%b", "%s"), params)
    except Exception:  # a value the text form cannot show: the statement as written
        return sql


def fetch_rows(sql: str, params, columns: tuple) -> list[tuple]:
    """The rows of a hand-written ``sql``, each value converted as the ORM would read it.

    For the few statements of the till's hot path (issue 11: the ORM compiling a query
    cost more than the database running it); on PostgreSQL through :func:`bound_cursor`,
    so each statement is prepared once per connection. ``columns``: one ``(model, attname)`` per
    selected column, ``(None, None)`` for a computed one (left as the driver gives it);
    on PostgreSQL most fields need no conversion, on SQLite decimals, dates and booleans
    do. Returns a list of tuples.
    """
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(connection.vendor, columns)
    if not converters or not rows:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, col, steps in converters:
            for convert in steps:
                row[index] = convert(row[index], col, connection)
        converted.append(tuple(row))
    return converted


@functools.cache
def joined_columns(aliased: tuple[tuple[str, type], ...]) -> tuple[str, tuple, tuple, dict]:
    """For a hand-written join read with :func:`fetch_rows`: (select list, its ``columns``,
    layout, ``{alias: quoted table name}``) of every concrete field of each
    ``(alias, Model)``, in order; the layout is what :func:`joined_instances` reads.
    Computed once per join."""
    selected, columns, layout = [], [], []
    for alias, model in aliased:
        names = tuple(f.attname for f in model._meta.concrete_fields)
        start = len(columns)
        pk = start + names.index(model._meta.pk.attname)
        layout.append((model, names, start, start + len(names), pk))
        selected.append(column_list(model, names, alias))
        columns += [(model, name) for name in names]
    tables = {alias: connection.ops.quote_name(model._meta.db_table) for alias, model in aliased}
    return ", ".join(selected), tuple(columns), tuple(layout), tables


def joined_instances(row, layout) -> list:
    """One instance per model of ``layout`` (:func:`joined_columns`) from ``row``, as
    ``select_related`` builds them; None for a LEFT JOIN that found no row (pk None).
    The caller links them (``field.set_cached_value``)."""
    db = connection.alias
    instances = []
    for model, names, start, end, pk in layout:
        instances.append(None if row[pk] is None else model.from_db(db, names, row[start:end]))
    return instances


@functools.cache
def _write_statement(model, names: tuple[str, ...], update: bool) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in names)
    table = quote(model._meta.db_table)
    if update:
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        return f"UPDATE {table} SET {assignments} WHERE id = %s", fields
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id", fields


def insert_row(model, values: dict) -> int:
    """INSERT one row of ``model`` (``values`` by field name or attname, prepared as the ORM
    prepares them; omitted fields take their database defaults, so give every field without
    one); returns its id. One prepared statement per set of names, for hot paths; raises
    ``IntegrityError`` as ``save()`` would."""
    sql, fields = _write_statement(model, tuple(values), False)
    params = [
        f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values(), strict=True)
    ]
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def update_row(model, pk: int, values: dict) -> None:
    """UPDATE the row ``pk`` of ``model`` with ``values`` (as :func:`insert_row` prepares
    them): ``save(update_fields=…)`` without compiling a query."""
    sql, fields = _write_statement(model, tuple(values), True)
    params = [
        f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values(), strict=True)
    ]
    with bound_cursor() as cursor:
        cursor.execute(sql, [*params, pk])
