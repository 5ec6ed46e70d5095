"""Reservations (SPEC §8), exactly-once confirm (§3.8) and the optional Redis lock."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from storekeep.core.errors import InsufficientStock, InvalidState, NotFound, ValidationFailed
from storekeep.inventory.locks import (
    InventoryLock,
    LockAcquisitionError,
    LockTimeoutError,
    inventory_lock,
)
from storekeep.inventory.models import Reservation, StockLedger
from storekeep.inventory.services import (
    StockLine,
    confirm_reservation,
    record_sale,
    release_expired_reservations,
    release_reservation,
    reserve_stock,
)

from .helpers import D, assert_invariants, item, snapshot


def reserve(tenant, location, variant, qty, **kw):
    return reserve_stock(
        tenant=tenant, location_id=location.pk, variant_id=variant.pk, qty=D(qty), **kw
    )


def overdue(reservation):
    Reservation.objects.filter(pk=reservation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def test_reserve_raises_reserved_and_fails_when_available_is_short(tenant, store, variant, stock):
    stock(variant, store, 5)
    first = reserve(tenant, store, variant, "3", order_ref="WEB-1")
    assert (first.status, first.qty, first.order_ref) == ("PENDING", D("3"), "WEB-1")
    assert timedelta(minutes=14) < first.expires_at - timezone.now() <= timedelta(minutes=15)
    row = item(tenant, store, variant)
    assert (row.on_hand, row.reserved, row.available) == (D("5"), D("3"), D("2"))
    before = snapshot(tenant)
    with pytest.raises(InsufficientStock) as caught:
        reserve(tenant, store, variant, "3")
    assert caught.value.details["lines"][0]["available"] == "2.000"
    assert snapshot(tenant) == before
    assert StockLedger.objects.filter(tenant=tenant).count() == 1  # reserving writes no ledger row
    with pytest.raises(ValidationFailed):
        reserve(tenant, store, variant, "-1")
    assert_invariants(tenant)


def test_confirm_deducts_once_and_a_repeat_returns_the_same_rows(tenant, store, variant, stock):
    stock(variant, store, 5)
    reservation = reserve(tenant, store, variant, "2")
    rows = confirm_reservation(tenant=tenant, reservation_id=reservation.pk)
    again = confirm_reservation(tenant=tenant, reservation_id=reservation.pk)
    assert [r.pk for r in rows] == [r.pk for r in again]
    assert StockLedger.objects.filter(tenant=tenant, ref_type="RESERVATION_CONFIRM").count() == 1
    row = item(tenant, store, variant)
    assert (row.on_hand, row.reserved) == (D("3"), D("0"))
    assert Reservation.objects.get(pk=reservation.pk).status == "CONFIRMED"
    with pytest.raises(InvalidState):
        release_reservation(tenant=tenant, reservation_id=reservation.pk)
    assert_invariants(tenant)


def test_release_lowers_reserved_once_and_cannot_then_be_confirmed(tenant, store, variant, stock):
    stock(variant, store, 5)
    reservation = reserve(tenant, store, variant, "2")
    release_reservation(tenant=tenant, reservation_id=reservation.pk)
    release_reservation(tenant=tenant, reservation_id=reservation.pk)
    assert item(tenant, store, variant).reserved == D("0")
    with pytest.raises(InvalidState):
        confirm_reservation(tenant=tenant, reservation_id=reservation.pk)
    assert_invariants(tenant)


def test_another_tenants_reservation_is_not_found(tenant, other_tenant, store, variant, stock):
    stock(variant, store, 5)
    reservation = reserve(tenant, store, variant, "2")
    for call in (confirm_reservation, release_reservation):
        with pytest.raises(NotFound):
            call(tenant=other_tenant, reservation_id=reservation.pk)
    assert Reservation.objects.get(pk=reservation.pk).status == "PENDING"


def test_an_overdue_reservation_cannot_be_confirmed(tenant, store, variant, stock):
    stock(variant, store, 5)
    reservation = reserve(tenant, store, variant, "2")
    overdue(reservation)
    with pytest.raises(InvalidState):
        confirm_reservation(tenant=tenant, reservation_id=reservation.pk)
    assert item(tenant, store, variant).on_hand == D("5")


def test_an_operation_finding_an_item_short_first_expires_its_overdue_reservations(
    tenant, store, variant, stock
):
    stock(variant, store, 5)
    stale = reserve(tenant, store, variant, "4")
    live = reserve(tenant, store, variant, "1")
    overdue(stale)
    [row] = record_sale(
        tenant=tenant,
        location_id=store.pk,
        ref_id="S1",
        lines=[StockLine(variant_id=variant.pk, qty=D("3"))],
    )
    assert row.balance_after == D("2")
    assert Reservation.objects.get(pk=stale.pk).status == "EXPIRED"
    assert Reservation.objects.get(pk=live.pk).status == "PENDING"
    assert item(tenant, store, variant).reserved == D("1")
    assert_invariants(tenant)


def test_overdue_reservations_free_stock_for_a_new_reservation(tenant, store, variant, stock):
    stock(variant, store, 5)
    overdue(reserve(tenant, store, variant, "5"))
    reserve(tenant, store, variant, "5")
    assert item(tenant, store, variant).reserved == D("5")
    assert_invariants(tenant)


def test_a_still_short_operation_restores_the_reservations_it_expired(
    tenant, store, variant, stock
):
    """Bug: a caller catching the 409 inside its own transaction kept the reservations EXPIRED
    while ``reserved`` still counted them (leaked forever: no job would release them)."""
    stock(variant, store, 5)
    stale = reserve(tenant, store, variant, "2")
    overdue(stale)
    before = snapshot(tenant)
    with transaction.atomic():
        with pytest.raises(InsufficientStock):
            record_sale(
                tenant=tenant,
                location_id=store.pk,
                ref_id="S1",
                lines=[StockLine(variant_id=variant.pk, qty=D("6"))],
            )
        assert snapshot(tenant) == before
    assert Reservation.objects.get(pk=stale.pk).status == "PENDING"
    assert_invariants(tenant)


def test_release_expired_reservations_job_and_task(tenant, store, variant, stock):
    from storekeep.inventory.tasks import release_expired_reservations as task

    stock(variant, store, 10)
    a, b, keep = (reserve(tenant, store, variant, q) for q in ("1", "2", "3"))
    overdue(a)
    overdue(b)
    assert release_expired_reservations(tenant=tenant) == 2
    assert {r.status for r in Reservation.objects.filter(pk__in=[a.pk, b.pk])} == {"EXPIRED"}
    assert item(tenant, store, variant).reserved == D("3")
    overdue(keep)
    assert task.apply().get() == 1
    assert item(tenant, store, variant).reserved == D("0")
    assert_invariants(tenant)


# --- the Redis lock -------------------------------------------------------------------------


@pytest.fixture
def lock_redis(redis_client, settings):
    """A client on Redis db 6 (or REDIS_URL), with the settings pointing the engine at it."""
    url = django_settings.REDIS_URL or "redis://127.0.0.1:6379/6"
    settings.REDIS_URL = url
    client = redis.Redis.from_url(url)
    keys = []
    client.test_keys = keys
    yield client
    for key in keys:
        client.delete(key)


def _lock(client, **kw):
    name = f"test:{uuid.uuid4().hex}"
    client.test_keys.append(f"inventory:lock:{name}")
    return InventoryLock(name, client=client, **kw)


def test_the_redis_lock_is_acquired_with_an_owner_token_and_released(lock_redis):
    lock = _lock(lock_redis, timeout=5)
    with lock:
        assert lock_redis.get(lock.key) == lock.token and lock.token
        assert 0 < lock_redis.pttl(lock.key) <= 5000
    assert lock_redis.get(lock.key) is None


def test_a_second_acquirer_blocks_then_gets_lock_acquisition_error(lock_redis):
    first = _lock(lock_redis, timeout=5)
    second = InventoryLock(
        first.key.removeprefix("inventory:lock:"),
        client=lock_redis,
        timeout=5,
        blocking_timeout=0.3,
        retries=1,
        backoff=0.01,
    )
    first.acquire()
    started = time.monotonic()
    with pytest.raises(LockAcquisitionError) as caught:
        second.acquire()
    assert time.monotonic() - started >= 0.35  # it polled (every 0.1 s) through both attempts
    assert caught.value.code == "concurrent_update" and caught.value.status_code == 409
    first.release()
    second.acquire()  # free now
    assert lock_redis.get(second.key) == second.token != first.token
    second.release()


def test_a_lock_that_expired_before_release_raises_lock_timeout_error(lock_redis):
    lock = _lock(lock_redis, timeout=0.1)
    lock.acquire()
    time.sleep(0.25)
    with pytest.raises(LockTimeoutError):
        lock.release()


def test_a_lock_taken_over_after_expiry_is_not_released_by_the_old_owner(lock_redis):
    old = _lock(lock_redis, timeout=0.1)
    old.acquire()
    time.sleep(0.2)
    new = InventoryLock(old.key.removeprefix("inventory:lock:"), client=lock_redis, timeout=5)
    new.acquire()
    with pytest.raises(LockTimeoutError):
        old.release()
    assert lock_redis.get(new.key) == new.token
    new.release()


def test_reserve_stock_works_under_the_redis_lock_backend(
    lock_redis, settings, tenant, store, variant, stock
):
    settings.STOREKEEP_LOCK_BACKEND = "redis"
    settings.STOREKEEP_LOCK_BLOCKING_TIMEOUT = 0.1
    settings.STOREKEEP_LOCK_RETRIES = 0
    stock(variant, store, 5)
    key = f"inventory:lock:{item(tenant, store, variant).pk}"  # SPEC §8: inventory:lock:{item_id}
    lock_redis.test_keys.append(key)
    seen = []
    with inventory_lock(tenant, store.pk, variant.pk) as lock:
        seen.append(lock_redis.get(key) == lock.token)
    assert seen == [True] and lock_redis.get(key) is None
    reservation = reserve(tenant, store, variant, "2")
    assert reservation.status == "PENDING" and lock_redis.get(key) is None
    # Someone else holds the item's lock: the reservation is refused as a concurrent update, nothing written.
    holder = InventoryLock(str(item(tenant, store, variant).pk), client=lock_redis, timeout=5)
    holder.acquire()
    try:
        before = snapshot(tenant)
        with pytest.raises(LockAcquisitionError):
            reserve(tenant, store, variant, "1")
        assert snapshot(tenant) == before
    finally:
        holder.release()
    assert item(tenant, store, variant).reserved == D("2")


def test_an_unreachable_redis_does_not_fail_a_reservation(settings, tenant, store, variant, stock):
    settings.STOREKEEP_LOCK_BACKEND = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/6"  # nothing listens there
    stock(variant, store, 5)
    reservation = reserve(tenant, store, variant, "2")
    assert reservation.status == "PENDING" and item(tenant, store, variant).reserved == D("2")


# --- exactly once under real concurrency (PostgreSQL) -------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_write_one_ledger_row(tenant, store, variant, stock):
    from django.db import connection

    stock(variant, store, 5)
    reservation = reserve(tenant, store, variant, "2")
    barrier = threading.Barrier(6)
    results, errors = [], []

    def confirm():
        try:
            barrier.wait(timeout=10)
            results.append(
                [r.pk for r in confirm_reservation(tenant=tenant, reservation_id=reservation.pk)]
            )
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(results) == 6 and len({tuple(r) for r in results}) == 1
    assert StockLedger.objects.filter(tenant=tenant, ref_type="RESERVATION_CONFIRM").count() == 1
    row = item(tenant, store, variant)
    assert (row.on_hand, row.reserved) == (D("3"), D("0"))
    assert_invariants(tenant)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_short_sale_does_not_wait_for_an_overdue_reservation_another_transaction_holds(
    tenant, store, variant, stock
):
    """Bug (deadlock): release/confirm lock the reservation, then the item; a short sale held the
    item and then waited for that reservation. Now it skips reservations locked elsewhere."""
    from django.db import connection

    from storekeep.core.db import lock_rows

    stock(variant, store, 5)
    stale = reserve(tenant, store, variant, "4")
    overdue(stale)
    locked, done = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                lock_rows(Reservation.objects.filter(pk=stale.pk))
                locked.set()
                done.wait(timeout=15)
        finally:
            connection.close()

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(InsufficientStock):
            record_sale(
                tenant=tenant,
                location_id=store.pk,
                ref_id="S1",
                lines=[StockLine(variant_id=variant.pk, qty=D("3"))],
            )
        assert time.monotonic() - started < 3
    finally:
        done.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    record_sale(
        tenant=tenant,
        location_id=store.pk,
        ref_id="S1",
        lines=[StockLine(variant_id=variant.pk, qty=D("3"))],
    )
    assert Reservation.objects.get(pk=stale.pk).status == "EXPIRED"
    assert (item(tenant, store, variant).on_hand, item(tenant, store, variant).reserved) == (
        D("2"),
        D("0"),
    )
    assert_invariants(tenant)


@pytest.mark.parametrize("ttl", [0, -5, "15", 1.5, True, 10**9])
def test_a_bad_reservation_ttl_is_a_validation_error(ttl, tenant, store, variant, stock):
    stock(variant, store, 5)
    before = snapshot(tenant)
    with pytest.raises(ValidationFailed):
        reserve(tenant, store, variant, "1", ttl_minutes=ttl)
    assert snapshot(tenant) == before
    assert reserve(
        tenant, store, variant, "1", ttl_minutes=2
    ).expires_at <= timezone.now() + timedelta(minutes=2)
