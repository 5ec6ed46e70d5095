"""checkout_batch (SPEC §5): several carts written together, exactly as sequential checkouts."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.core.errors import Conflict, InsufficientStock
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.pos.models import Sale, SaleLine
from storekeep.pos.services import CartInput, CartLine, checkout, checkout_batch

from .factories import build_world

pytestmark = pytest.mark.django_db
T0 = datetime(2011, 1, 4, 9, 0, tzinfo=UTC)


def carts(world, n, *, qty="2", ref="INV"):
    a, b, c = world.variants
    return [
        CartInput(
            lines=[
                CartLine(variant=a, qty=D(qty)),
                CartLine(variant=(b, c)[i % 2], qty=D("1"), unit_price=D("3.3333")),
            ],
            external_ref=f"{ref}{i}",
            completed_at=T0 + timedelta(minutes=i),
        )
        for i in range(n)
    ]


def ledger(tenant):
    return list(
        StockLedger.objects.filter(tenant=tenant, ref_type="SALE")
        .order_by("id")
        .values_list(
            "variant_id", "ref_type", "qty_delta", "balance_after", "unit_cost", "created_at"
        )
    )


def sale_rows(tenant):
    return list(
        Sale.objects.filter(tenant=tenant)
        .order_by("id")
        .values_list("receipt_number", "external_ref", "total", "completed_at")
    )


def test_a_batch_writes_what_sequential_checkouts_write(db):
    one_by_one, batched = build_world(), build_world()
    for cart in carts(one_by_one, 5):
        checkout(
            tenant=one_by_one.tenant,
            location=one_by_one.store,
            source="IMPORT",
            lines=cart.lines,
            external_ref=cart.external_ref,
            completed_at=cart.completed_at,
        )
    results = checkout_batch(
        tenant=batched.tenant, location=batched.store, source="IMPORT", carts=carts(batched, 5)
    )

    assert all(not isinstance(r, Exception) for r in results)
    strip = lambda rows: [row[1:] for row in rows]  # noqa: E731  (variant ids differ between worlds)
    assert strip(ledger(batched.tenant)) == strip(ledger(one_by_one.tenant))
    assert [r[1:] for r in sale_rows(batched.tenant)] == [
        r[1:] for r in sale_rows(one_by_one.tenant)
    ]
    assert [r[0].split("-")[-1] for r in sale_rows(batched.tenant)] == [
        "000001",
        "000002",
        "000003",
        "000004",
        "000005",
    ]
    # each sale's ledger rows carry its own id and time, and the items their last movement
    for result in results:
        rows = StockLedger.objects.filter(
            tenant=batched.tenant, ref_type="SALE", ref_id=str(result.sale.pk)
        )
        assert {row.created_at for row in rows} == {result.sale.completed_at}
        assert SaleLine.objects.filter(sale=result.sale).count() == 2
    item = InventoryItem.objects.get(tenant=batched.tenant, variant=batched.variants[0])
    assert item.on_hand == D("90") and item.last_movement_at == T0 + timedelta(minutes=4)


def test_a_batch_costs_the_queries_of_one_checkout(db):
    # Constant on PostgreSQL; SQLite's 999-parameter limit splits the bulk inserts of 40 carts.
    world = build_world()
    checkout(
        tenant=world.tenant, location=world.store, source="IMPORT", lines=carts(world, 1)[0].lines
    )
    with CaptureQueriesContext(connection) as one:
        checkout_batch(
            tenant=world.tenant,
            location=world.store,
            source="IMPORT",
            carts=carts(world, 1, ref="A"),
        )
    with CaptureQueriesContext(connection) as forty:
        checkout_batch(
            tenant=world.tenant,
            location=world.store,
            source="IMPORT",
            carts=carts(world, 40, ref="B"),
        )
    assert (
        len(forty) == len(one) if connection.vendor == "postgresql" else len(forty) <= len(one) + 4
    )


def test_a_short_cart_is_refused_alone_and_the_others_are_sold_in_order(db):
    world = build_world(on_hand="5")
    batch = carts(world, 4)  # 2 units of the first variant each: the third cart is short
    results = checkout_batch(
        tenant=world.tenant, location=world.store, source="IMPORT", carts=batch
    )

    assert [type(r).__name__ for r in results] == [
        "CheckoutResult",
        "CheckoutResult",
        "InsufficientStock",
        "InsufficientStock",
    ]
    assert isinstance(results[2], InsufficientStock) and results[2].details["lines"][0]["line"] == 0
    assert Sale.objects.filter(tenant=world.tenant).count() == 2
    assert InventoryItem.objects.get(tenant=world.tenant, variant=world.variants[0]).on_hand == D(
        "1"
    )


def test_a_used_external_ref_refuses_only_that_cart(db):
    world = build_world()
    batch = carts(world, 3)
    checkout(
        tenant=world.tenant,
        location=world.store,
        source="IMPORT",
        lines=batch[1].lines,
        external_ref=batch[1].external_ref,
    )
    results = checkout_batch(
        tenant=world.tenant, location=world.store, source="IMPORT", carts=batch
    )

    assert isinstance(results[1], Conflict) and results[1].code == "duplicate"
    assert not isinstance(results[0], Exception) and not isinstance(results[2], Exception)
    assert Sale.objects.filter(tenant=world.tenant).count() == 3
