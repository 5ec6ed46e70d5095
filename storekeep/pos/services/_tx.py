"""One business operation = one transaction, also when the caller already has one."""

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, transaction

from storekeep.core.db import run_atomic

T = TypeVar("T")


def atomic_operation(fn: Callable[[], T]) -> T:
    """Run ``fn`` as one transaction (retried on deadlock) or, inside the caller's
    transaction, in a savepoint, so a failure (409 ``insufficient_stock``…)
    leaves nothing written and the caller's transaction usable (SPEC §3.4)."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return fn()
    return run_atomic(fn)
