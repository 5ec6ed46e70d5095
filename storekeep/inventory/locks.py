"""Optional Redis lock around reservation flows (SPEC §8).

``STOREKEEP_LOCK_BACKEND=redis`` wraps reservation flows in a redis-py ``Lock``
(owner token, timeout, blocking timeout, retries with backoff) on
``inventory:lock:{item_id}`` (``inventory:lock:new:{tenant}:{location}:{variant}``
while the item does not exist yet). It only lowers contention: correctness never depends on it, the database row
lock is the guarantee — so Redis being down, or a lock that expired before its
release, never fails an operation that the database accepted.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time

from django.conf import settings

from storekeep.core.errors import ConcurrentUpdate

logger = logging.getLogger("storekeep.inventory")


class LockAcquisitionError(ConcurrentUpdate):
    """The lock could not be acquired within the blocking timeout and retries
    (409 ``concurrent_update``: the client may retry)."""


class LockTimeoutError(RuntimeError):
    """The lock expired (its timeout passed) before it was released."""


def _client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


class InventoryLock:
    """``with InventoryLock(key_suffix): …`` — a redis-py Lock with retries and backoff."""

    def __init__(
        self,
        item_key: str,
        *,
        timeout: float = 10.0,
        blocking_timeout: float = 2.0,
        retries: int = 3,
        backoff: float = 0.05,
        client=None,
    ):
        import redis.lock

        self.key = f"inventory:lock:{item_key}"
        self.retries = retries
        self.backoff = backoff
        self._lock = redis.lock.Lock(
            client or _client(),
            self.key,
            timeout=timeout,
            blocking_timeout=blocking_timeout,
            thread_local=False,
        )

    def acquire(self) -> None:
        for attempt in range(self.retries + 1):
            if self._lock.acquire(blocking=True):
                return
            time.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))
        raise LockAcquisitionError(f"could not acquire {self.key}")

    def release(self) -> None:
        import redis.exceptions

        try:
            self._lock.release()
        except redis.exceptions.LockNotOwnedError as exc:
            raise LockTimeoutError(f"{self.key} expired before release") from exc

    @property
    def token(self):
        return self._lock.local.token

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
        return False


@contextlib.contextmanager
def inventory_lock(tenant, location_id: int, variant_id: int):
    """The Redis lock for one item when ``STOREKEEP_LOCK_BACKEND=redis``, else nothing (SPEC §8).

    Raises LockAcquisitionError (409 ``concurrent_update``) when another holder keeps it past
    ``STOREKEEP_LOCK_BLOCKING_TIMEOUT`` seconds and ``STOREKEEP_LOCK_RETRIES`` retries. An
    unreachable Redis, or a lock that expired (``STOREKEEP_LOCK_TIMEOUT`` seconds) before its
    release, is logged and does not fail the operation: the row lock is the guarantee.
    """
    if settings.STOREKEEP_LOCK_BACKEND != "redis" or not settings.REDIS_URL:
        yield None
        return
    import redis.exceptions

    from .models import InventoryItem

    item_id = (
        InventoryItem.objects.filter(tenant=tenant, location_id=location_id, variant_id=variant_id)
        .values_list("pk", flat=True)
        .first()
    )
    lock = InventoryLock(
        str(item_id) if item_id else f"new:{tenant.pk}:{location_id}:{variant_id}",
        timeout=getattr(settings, "STOREKEEP_LOCK_TIMEOUT", 10.0),
        blocking_timeout=getattr(settings, "STOREKEEP_LOCK_BLOCKING_TIMEOUT", 2.0),
        retries=getattr(settings, "STOREKEEP_LOCK_RETRIES", 3),
    )
    try:
        lock.acquire()
    except redis.exceptions.RedisError:
        logger.warning(
            "redis lock %s unavailable; relying on the row lock", lock.key, exc_info=True
        )
        lock = None
    if lock is None:
        yield None
        return
    try:
        yield lock
    finally:
        try:
            lock.release()
        except (LockTimeoutError, redis.exceptions.RedisError):
            logger.warning(
                "redis lock %s expired or was lost before release", lock.key, exc_info=True
            )
