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
