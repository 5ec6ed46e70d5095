"""Optional Redis lock around reservation flows (SPEC §8).

``STOREKEEP_LOCK_BACKEND=redis`` wraps reservation flows in a redis-py ``Lock``
(owner token, timeout, blocking timeout, retries with backoff) on
``inventory:lock:{item}``. It only lowers contention: correctness never
depends on it, the database row lock is the guarantee.
"""

from __future__ import annotations

import contextlib
import random
import time

from django.conf import settings


class LockAcquisitionError(RuntimeError):
    """The lock could not be acquired within the blocking timeout and retries."""


class LockTimeoutError(RuntimeError):
    """The lock expired (its timeout passed) before it was released."""


def _client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


class InventoryLock:
    """``with InventoryLock(key_suffix): …`` — a redis-py Lock with retries and backoff."""

    def __init__(self, item_key: str, *, timeout: float = 10.0, blocking_timeout: float = 2.0, retries: int = 3,
                 backoff: float = 0.05, client=None):
        import redis.lock

        self.key = f"inventory:lock:{item_key}"
        self.retries = retries
        self.backoff = backoff
        self._lock = redis.lock.Lock(client or _client(), self.key, timeout=timeout,
                                     blocking_timeout=blocking_timeout, thread_local=False)

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
    """The Redis lock for one item when the backend is redis, else nothing."""
    if settings.STOREKEEP_LOCK_BACKEND != "redis" or not settings.REDIS_URL:
        yield None
        return
    with InventoryLock(f"{tenant.pk}:{location_id}:{variant_id}") as lock:
        yield lock
