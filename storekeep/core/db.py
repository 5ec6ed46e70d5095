"""Transactions with bounded retries on deadlock / serialization failure (SPEC §3.4)."""

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction

from .errors import ConcurrentUpdate

T = TypeVar("T")

_RETRYABLE_PG_STATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


def is_retryable(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in _RETRYABLE_PG_STATES:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "deadlock" in text


def run_atomic(fn: Callable[[], T], *, retries: int | None = None) -> T:
    """Run ``fn`` in one transaction, retrying it on deadlock/serialization failures.

    Inside an enclosing ``atomic`` block ``fn`` simply runs there: only the
    outermost transaction can be retried, so the retry belongs to its owner.
    After ``retries`` failed attempts raises :class:`ConcurrentUpdate`
    (409 ``concurrent_update``).
    """
    if connection.in_atomic_block:
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


def atomic_with_retry(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator form of :func:`run_atomic` for service functions."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return run_atomic(lambda: fn(*args, **kwargs))

    return wrapper
