"""SPEC §3.3/§3.4 under real concurrency on PostgreSQL: one thread = one connection, each closes it.

Plus the retry loop of ``run_atomic`` and the shape of the locking query.
"""

import random
import threading
from collections import Counter, defaultdict

import psycopg.errors
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from storekeep.core.db import run_atomic
from storekeep.core.errors import ConcurrentUpdate, InsufficientStock
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.inventory.services import (
    ReceiptLine,
    StockLine,
    StockMove,
    apply_moves,
    receive_stock,
    record_sale,
    reserve_stock,
)
from storekeep.testing import factories

from .helpers import D, assert_invariants, item


def run_threads(work, count, timeout=60):
    """Run ``work(index)`` in ``count`` threads released together; returns (results, errors) by index."""
    barrier = threading.Barrier(count)
    results, errors = {}, {}

    def target(index):
        try:
            barrier.wait(timeout=timeout)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 — returned to the test, which asserts on it
            errors[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deductions_of_one_from_five_on_hand(tenant, store, variant, stock):
    stock(variant, store, 5)
    results, errors = run_threads(
        lambda i: record_sale(
            tenant=tenant,
            location_id=store.pk,
            ref_id=f"S{i}",
            lines=[StockLine(variant_id=variant.pk, qty=D("1"))],
        ),
        10,
    )
    assert len(results) == 5
    assert len(errors) == 5 and all(
        isinstance(e, InsufficientStock) and e.code == "insufficient_stock" for e in errors.values()
    ), errors
    row = item(tenant, store, variant)
    assert row.on_hand == D("0") and row.version == 6
    assert StockLedger.objects.filter(tenant=tenant, ref_type="SALE").count() == 5
    assert sorted(
        StockLedger.objects.filter(tenant=tenant, ref_type="SALE").values_list(
            "balance_after", flat=True
        )
    ) == [D("0"), D("1"), D("2"), D("3"), D("4")]
    call_command("inventory_check")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_random_concurrent_mix_of_receipts_and_deductions_keeps_parity(
    tenant, store, warehouse, stock
):
    variants = [factories.VariantFactory(tenant=tenant) for _ in range(3)]
    locations = [store, warehouse]
    for v in variants:
        for loc in locations:
            stock(v, loc, 3)
    applied = defaultdict(lambda: D("0"))
    lock = threading.Lock()

    def worker(index):
        rng = random.Random(1000 + index)
        outcome = Counter()
        for op in range(25):
            loc = rng.choice(locations)
            picked = rng.sample(
                variants, rng.randint(1, 3)
            )  # unsorted lines: the engine orders the locks
            qtys = [D(rng.randint(1, 3)) for _ in picked]
            try:
                if rng.random() < 0.45:
                    receive_stock(
                        tenant=tenant,
                        location_id=loc.pk,
                        lines=[
                            ReceiptLine(variant_id=v.pk, qty=q)
                            for v, q in zip(picked, qtys, strict=True)
                        ],
                    )
                    sign = 1
                else:
                    record_sale(
                        tenant=tenant,
                        location_id=loc.pk,
                        ref_id=f"T{index}-{op}",
                        lines=[
                            StockLine(variant_id=v.pk, qty=q)
                            for v, q in zip(picked, qtys, strict=True)
                        ],
                    )
                    sign = -1
            except InsufficientStock:
                outcome["short"] += 1
                continue
            with lock:
                for v, q in zip(picked, qtys, strict=True):
                    applied[(loc.pk, v.pk)] += sign * q
            outcome["ok"] += 1
        return outcome

    results, errors = run_threads(worker, 4, timeout=120)
    assert errors == {}, errors
    total = sum(results.values(), Counter())
    assert total["ok"] + total["short"] == 100 and total["ok"] > 0
    for v in variants:
        for loc in locations:
            assert item(tenant, loc, v).on_hand == D("3") + applied[(loc.pk, v.pk)]
    assert not InventoryItem.objects.filter(on_hand__lt=0).exists()
    call_command("inventory_check")
    assert_invariants(tenant)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_over_reserve(tenant, store, variant, stock):
    stock(variant, store, 5)
    results, errors = run_threads(
        lambda i: reserve_stock(
            tenant=tenant,
            location_id=store.pk,
            variant_id=variant.pk,
            qty=D("1"),
            order_ref=f"O{i}",
        ),
        8,
    )
    assert len(results) == 5 and all(isinstance(e, InsufficientStock) for e in errors.values()), (
        errors
    )
    row = item(tenant, store, variant)
    assert (row.on_hand, row.reserved) == (D("5"), D("5"))
    assert_invariants(tenant)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_receipts_create_one_item(tenant, store, variant):
    results, errors = run_threads(
        lambda i: receive_stock(
            tenant=tenant,
            location_id=store.pk,
            lines=[ReceiptLine(variant_id=variant.pk, qty=D("2"))],
        ),
        6,
    )
    assert errors == {} and len(results) == 6
    assert InventoryItem.objects.filter(tenant=tenant).count() == 1
    assert item(tenant, store, variant).on_hand == D("12")
    call_command("inventory_check")


@pytest.mark.postgres
def test_stock_rows_are_locked_in_one_ordered_select_for_update(tenant, store, warehouse, stock):
    variants = [factories.VariantFactory(tenant=tenant) for _ in range(4)]
    for v in variants:
        stock(v, store, 5)
    with CaptureQueriesContext(connection) as ctx:
        record_sale(
            tenant=tenant,
            location_id=store.pk,
            ref_id="S",
            lines=[StockLine(variant_id=v.pk, qty=D("1")) for v in reversed(variants)],
        )
    locking = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1, locking
    [sql] = locking
    assert 'FROM "inventory_inventoryitem" WHERE' in sql  # no join: only items are locked
    assert sql.rstrip().endswith("ORDER BY id FOR UPDATE")

    # A move across two locations (a transfer): still one locking query for every item.
    for v in variants:
        stock(v, warehouse, 1)
    moves = [
        StockMove(location_id=store.pk, variant_id=v.pk, qty=D("-1"), ref_type="TRANSFER_OUT")
        for v in variants
    ]
    moves += [
        StockMove(location_id=warehouse.pk, variant_id=v.pk, qty=D("1"), ref_type="TRANSFER_IN")
        for v in variants
    ]
    with CaptureQueriesContext(connection) as ctx:
        rows = run_atomic(
            lambda: apply_moves(tenant=tenant, moves=moves, ref_type="TRANSFER_OUT", ref_id="T1")
        )
    locking = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1 and locking[0].endswith("ORDER BY id FOR UPDATE"), locking
    assert [r.ref_type for r in rows] == ["TRANSFER_OUT"] * 4 + ["TRANSFER_IN"] * 4
    assert_invariants(tenant)


# --- the retry loop (SPEC §3.4) --------------------------------------------------------------


def _deadlock() -> OperationalError:
    exc = OperationalError("could not serialise")
    exc.__cause__ = psycopg.errors.DeadlockDetected("deadlock")
    return exc


@pytest.mark.django_db(transaction=True)
def test_run_atomic_retries_a_deadlock_then_succeeds(tenant, store, variant):
    calls = []

    def work():
        calls.append(1)
        receive_stock(
            tenant=tenant,
            location_id=store.pk,
            lines=[ReceiptLine(variant_id=variant.pk, qty=D("1"))],
        )
        if len(calls) == 1:
            raise _deadlock()  # after writing: the retry must start from a rolled-back state
        return "done"

    assert run_atomic(work) == "done"
    assert len(calls) == 2
    assert item(tenant, store, variant).on_hand == D("1")
    assert StockLedger.objects.filter(tenant=tenant).count() == 1


@pytest.mark.django_db(transaction=True)
def test_run_atomic_gives_up_after_the_bounded_retries_and_retries_nothing_else(settings):
    settings.STOREKEEP_TX_RETRIES = 3
    calls = []

    def deadlocking():
        calls.append("deadlock")
        raise _deadlock()

    with pytest.raises(ConcurrentUpdate) as caught:
        run_atomic(deadlocking)
    assert calls == ["deadlock"] * 3
    assert caught.value.code == "concurrent_update" and caught.value.status_code == 409

    def broken():
        calls.append("other")
        raise OperationalError("no such table: nowhere")

    with pytest.raises(OperationalError):
        run_atomic(broken)
    assert calls.count("other") == 1
