"""PostgreSQL, real threads: concurrent receipts of one purchase order never receive more than
was ordered (the order row is locked first; SPEC §3.4, §6)."""

from decimal import Decimal

import pytest

from storekeep.core.errors import Conflict
from storekeep.inventory.models import InventoryItem, LedgerRefType, StockLedger
from storekeep.inventory.tests.test_transfers_concurrency import run_threads
from storekeep.purchasing.models import PurchaseOrder, Vendor
from storekeep.purchasing.services import (
    OrderLineInput,
    ReceiveLineInput,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_submit,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_receipts_never_exceed_the_order(tenant, store, variant):
    vendor = Vendor.objects.create(tenant=tenant, name="Race Ltd")
    order = purchase_order_create(
        tenant=tenant,
        vendor_id=vendor.pk,
        location_id=store.pk,
        lines=[OrderLineInput(variant.pk, Decimal("10"), Decimal("2"))],
    )
    purchase_order_submit(tenant=tenant, order_id=order.pk)
    results = run_threads(
        [
            lambda: purchase_order_receive(
                tenant=tenant, order_id=order.pk, lines=[ReceiveLineInput(variant.pk, Decimal("4"))]
            )
            for _ in range(5)
        ]
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 3
    assert all(isinstance(f, Conflict) and f.code == "over_receipt" for f in failures), failures
    assert order.lines.get().qty_received == Decimal("8")
    assert InventoryItem.objects.get(variant=variant, location=store).on_hand == Decimal("8")
    assert (
        StockLedger.objects.filter(
            ref_type=LedgerRefType.PURCHASE_ORDER_RECEIPT, ref_id=str(order.pk)
        ).count()
        == 2
    )
    assert PurchaseOrder.objects.get(pk=order.pk).status == "PARTIAL_RECEIVED"
