"""Lots, FEFO and expiry (SPEC §7); reconcile_lots."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from storekeep.core.errors import InsufficientStock
from storekeep.inventory.models import Lot, StockLedger
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    receive_stock,
    record_sale,
    reserve_stock,
    write_off,
)
from storekeep.inventory.services.lots import expire_lots, lot_differences
from storekeep.testing import factories

from .helpers import D, assert_invariants, item, snapshot

TODAY = timezone.localdate()


def receive(tenant, location, variant, qty, code, expiry=None, cost="1.00", when=None):
    return receive_stock(
        tenant=tenant,
        location_id=location.pk,
        occurred_at=when,
        lines=[
            ReceiptLine(
                variant_id=variant.pk,
                qty=D(qty),
                unit_cost=D(cost),
                lot_code=code,
                expiry_date=expiry,
            )
        ],
    )


def sell(tenant, location, variant, qty, ref="S1"):
    return record_sale(
        tenant=tenant,
        location_id=location.pk,
        ref_id=ref,
        lines=[StockLine(variant_id=variant.pk, qty=D(qty))],
    )


def lot_qty(tenant, code):
    return Lot.objects.get(tenant=tenant, lot_code=code).qty


def test_sales_take_the_earliest_expiry_first_then_the_earliest_receipt(tenant, store, lot_variant):
    now = timezone.now()
    receive(
        tenant,
        store,
        lot_variant,
        5,
        "LATE",
        TODAY + timedelta(days=9),
        cost="3.00",
        when=now - timedelta(days=3),
    )
    receive(tenant, store, lot_variant, 5, "NOEXP", None, cost="4.00", when=now - timedelta(days=4))
    receive(
        tenant,
        store,
        lot_variant,
        2,
        "SOON-NEW",
        TODAY + timedelta(days=2),
        cost="2.00",
        when=now - timedelta(days=1),
    )
    receive(
        tenant,
        store,
        lot_variant,
        2,
        "SOON-OLD",
        TODAY + timedelta(days=2),
        cost="1.00",
        when=now - timedelta(days=2),
    )
    rows = sell(tenant, store, lot_variant, "10")
    assert [(r.lot.lot_code, r.qty_delta, r.unit_cost, r.balance_after) for r in rows] == [
        ("SOON-OLD", D("-2"), D("1.00"), D("12")),
        ("SOON-NEW", D("-2"), D("2.00"), D("10")),
        ("LATE", D("-5"), D("3.00"), D("5")),
        ("NOEXP", D("-1"), D("4.00"), D("4")),
    ]
    assert all(r.ref_type == "SALE" and r.line_index == 0 for r in rows)
    assert lot_qty(tenant, "NOEXP") == D("4")
    assert_invariants(tenant)


def test_expired_lots_are_never_sold(tenant, store, lot_variant):
    receive(tenant, store, lot_variant, 5, "OLD", TODAY - timedelta(days=1))
    receive(tenant, store, lot_variant, 1, "FRESH", TODAY)  # expiring today is still sellable
    before = snapshot(tenant)
    with pytest.raises(InsufficientStock) as caught:
        sell(tenant, store, lot_variant, "2")
    assert caught.value.details["lines"][0]["on_hand"] == "6.000"
    assert snapshot(tenant) == before
    [row] = sell(tenant, store, lot_variant, "1")
    assert row.lot.lot_code == "FRESH"
    with pytest.raises(InsufficientStock):
        reserve_stock(tenant=tenant, location_id=store.pk, variant_id=lot_variant.pk, qty=D("1"))
    assert_invariants(tenant)


def test_reserved_fresh_stock_is_not_sold_from_under_its_reservation_when_the_rest_is_expired(
    tenant, store, lot_variant
):
    """Bug: available counted expired lots, so a sale could take the fresh lots a reservation held."""
    from storekeep.inventory.services import confirm_reservation

    receive(tenant, store, lot_variant, 5, "OLD", TODAY - timedelta(days=1))
    receive(tenant, store, lot_variant, 5, "FRESH", TODAY + timedelta(days=3))
    reservation = reserve_stock(
        tenant=tenant, location_id=store.pk, variant_id=lot_variant.pk, qty=D("4")
    )
    before = snapshot(tenant)
    with pytest.raises(InsufficientStock) as caught:
        sell(tenant, store, lot_variant, "2")
    assert caught.value.details["lines"][0]["available"] == "1.000"
    with pytest.raises(InsufficientStock):
        reserve_stock(tenant=tenant, location_id=store.pk, variant_id=lot_variant.pk, qty=D("2"))
    assert snapshot(tenant) == before
    sell(tenant, store, lot_variant, "1")
    [row] = confirm_reservation(tenant=tenant, reservation_id=reservation.pk)
    assert (row.lot.lot_code, row.qty_delta) == ("FRESH", D("-4"))
    assert_invariants(tenant)


def test_a_count_correction_can_remove_expired_stock(tenant, store, lot_variant):
    """Bug: corrections used the sales FEFO, so a count could not take out expired lots (409)."""
    receive(tenant, store, lot_variant, 3, "OLD", TODAY - timedelta(days=5))
    receive(tenant, store, lot_variant, 4, "NEW", TODAY + timedelta(days=5))
    rows = adjust_stock(
        tenant=tenant,
        location_id=store.pk,
        reason="correction",
        ref_type="COUNT_RECONCILE",
        lines=[AdjustmentLine(variant_id=lot_variant.pk, on_hand=D("2"))],
    )
    assert [(r.lot.lot_code, r.qty_delta) for r in rows] == [("OLD", D("-3")), ("NEW", D("-2"))]
    assert (lot_qty(tenant, "OLD"), lot_qty(tenant, "NEW")) == (D("0"), D("2"))
    assert_invariants(tenant)


def test_a_write_off_of_one_lot(tenant, store, lot_variant):
    receive(tenant, store, lot_variant, 3, "A", TODAY + timedelta(days=1))
    [row] = receive(tenant, store, lot_variant, 3, "B", TODAY + timedelta(days=2))
    [out] = write_off(
        tenant=tenant,
        location_id=store.pk,
        reason="damage",
        lines=[StockLine(variant_id=lot_variant.pk, qty=D("2"), lot_id=row.lot_id)],
    )
    assert (out.lot_id, out.qty_delta, out.ref_type, out.reason) == (
        row.lot_id,
        D("-2"),
        "WASTE",
        "damage",
    )
    with pytest.raises(InsufficientStock):
        write_off(
            tenant=tenant,
            location_id=store.pk,
            reason="damage",
            lines=[StockLine(variant_id=lot_variant.pk, qty=D("2"), lot_id=row.lot_id)],
        )
    assert_invariants(tenant)


def test_receiving_an_existing_lot_code_adds_to_that_lot(tenant, store, lot_variant):
    receive(tenant, store, lot_variant, 3, "A", TODAY + timedelta(days=3))
    receive(tenant, store, lot_variant, 2, "A", TODAY + timedelta(days=3))
    assert list(Lot.objects.filter(tenant=tenant).values_list("lot_code", "qty")) == [("A", D("5"))]
    rows = receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant_id=lot_variant.pk, qty=D("1"))],
    )
    assert rows[0].lot.lot_code.startswith("RECEIPT-")
    assert_invariants(tenant)


def test_expire_lots_writes_expiry_rows_and_zeroes_expired_lots(
    tenant, store, warehouse, lot_variant
):
    receive(tenant, store, lot_variant, 3, "OLD", TODAY - timedelta(days=1), cost="2.00")
    receive(tenant, store, lot_variant, 4, "NEW", TODAY + timedelta(days=1))
    receive(tenant, warehouse, lot_variant, 5, "WOLD", TODAY - timedelta(days=2))
    assert expire_lots(today=TODAY, tenant=tenant) == 2
    rows = StockLedger.objects.filter(tenant=tenant, ref_type="EXPIRY").order_by("pk")
    assert [(r.location_id, r.qty_delta, r.reason, r.unit_cost) for r in rows] == [
        (store.pk, D("-3"), "expiry", D("2.00")),
        (warehouse.pk, D("-5"), "expiry", D("1.00")),
    ]
    assert (lot_qty(tenant, "OLD"), lot_qty(tenant, "NEW"), lot_qty(tenant, "WOLD")) == (
        D("0"),
        D("4"),
        D("0"),
    )
    assert item(tenant, store, lot_variant).on_hand == D("4")
    assert expire_lots(today=TODAY, tenant=tenant) == 0  # nothing left: idempotent
    assert_invariants(tenant)


def test_expire_lots_leaves_reserved_stock_and_expires_the_rest(
    tenant, store, lot_variant, variant
):
    receive(tenant, store, lot_variant, 3, "OLD", TODAY + timedelta(days=1))
    reserve_stock(tenant=tenant, location_id=store.pk, variant_id=lot_variant.pk, qty=D("3"))
    other = factories.VariantFactory(tenant=tenant, track_lots=True)
    receive(tenant, store, other, 2, "X", TODAY - timedelta(days=1))
    Lot.objects.filter(tenant=tenant, lot_code="OLD").update(expiry_date=TODAY - timedelta(days=1))
    assert expire_lots(today=TODAY, tenant=tenant) == 1
    assert lot_qty(tenant, "OLD") == D("3") and lot_qty(tenant, "X") == D("0")
    assert_invariants(tenant)


def test_the_expire_lots_task_runs_for_today(tenant, store, lot_variant):
    from storekeep.inventory.tasks import expire_lots as task

    receive(tenant, store, lot_variant, 3, "OLD", TODAY - timedelta(days=1))
    assert task.apply().get() == 1
    assert item(tenant, store, lot_variant).on_hand == D("0")


def _corrupt_lot(tenant, code, qty):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_lot SET qty = %s WHERE tenant_id = %s AND lot_code = %s",
            [qty, tenant.pk, code],
        )


def test_reconcile_lots_reports_a_corrupted_lot_and_fix_repairs_it_through_the_ledger(
    tenant, store, lot_variant, capsys
):
    receive(tenant, store, lot_variant, 5, "A", TODAY + timedelta(days=4))
    call_command("reconcile_lots")
    _corrupt_lot(tenant, "A", "3")
    assert lot_differences(tenant=tenant) == [
        {
            "tenant_id": tenant.pk,
            "location_id": store.pk,
            "variant_id": lot_variant.pk,
            "on_hand": D("5"),
            "lots_total": D("3"),
        }
    ]
    with pytest.raises(CommandError, match="1 differences"):
        call_command("reconcile_lots")
    with pytest.raises(CommandError, match="1 lot differences"):
        call_command("inventory_check")
    assert re.search(
        rf"LOTS .*variant={lot_variant.pk} on_hand=5\.000 lots=3(\.000)?\n", capsys.readouterr().out
    )
    call_command("reconcile_lots", "--fix")
    [row] = StockLedger.objects.filter(tenant=tenant, ref_type="ADJUSTMENT")
    assert (row.qty_delta, row.balance_after, row.reason, row.lot_id) == (
        D("-2"),
        D("3"),
        "correction",
        None,
    )
    assert item(tenant, store, lot_variant).on_hand == D("3")
    call_command("inventory_check")
    assert_invariants(tenant)


def test_reconcile_lots_fix_does_not_take_on_hand_below_reserved(tenant, store, lot_variant):
    receive(tenant, store, lot_variant, 5, "A", TODAY + timedelta(days=4))
    reserve_stock(tenant=tenant, location_id=store.pk, variant_id=lot_variant.pk, qty=D("4"))
    _corrupt_lot(tenant, "A", "2")
    with pytest.raises(CommandError, match="could not be repaired"):
        call_command("reconcile_lots", "--fix")
    assert item(tenant, store, lot_variant).on_hand == D("5")


def test_expiry_dates_use_the_day_not_the_clock(tenant, store, lot_variant):
    receive(tenant, store, lot_variant, 1, "TODAY", TODAY)
    assert expire_lots(today=TODAY, tenant=tenant) == 0
    assert expire_lots(today=TODAY + timedelta(days=1), tenant=tenant) == 1
    assert isinstance(TODAY, date)


def test_a_void_puts_lot_stock_back_into_the_lots_the_sale_took(tenant, store, lot_variant):
    """Bug: voided lot stock went into a new undated lot, so it never expired and sold last."""
    from storekeep.inventory.services import record_void

    receive(tenant, store, lot_variant, 3, "A", TODAY + timedelta(days=2), cost="1.00")
    receive(tenant, store, lot_variant, 5, "B", TODAY + timedelta(days=5), cost="2.00")
    sell(tenant, store, lot_variant, "4", ref="SALE-7")
    rows = record_void(
        tenant=tenant,
        location_id=store.pk,
        ref_id="SALE-7",
        lines=[StockLine(variant_id=lot_variant.pk, qty=D("4"))],
    )
    assert [(r.lot.lot_code, r.qty_delta, r.ref_type, r.line_index) for r in rows] == [
        ("A", D("3"), "VOID", 0),
        ("B", D("1"), "VOID", 0),
    ]
    assert list(
        Lot.objects.filter(tenant=tenant).order_by("lot_code").values_list("lot_code", "qty")
    ) == [("A", D("3")), ("B", D("5"))]
    # more than was sold from lots (e.g. a manual void): the excess goes to a new lot
    extra = record_void(
        tenant=tenant,
        location_id=store.pk,
        ref_id="OTHER",
        lines=[StockLine(variant_id=lot_variant.pk, qty=D("1"))],
    )
    assert extra[0].lot.lot_code.startswith("VOID-")
    assert_invariants(tenant)


def test_a_restocked_return_goes_back_into_the_lots_the_sale_took(tenant, store, lot_variant):
    """Issue 12 item 8: returned perishables keep their lot code and expiry; earlier returns of
    the same sale are taken off first, so two returns of 2 refill A then A and B."""
    from storekeep.inventory.services import record_return

    receive(tenant, store, lot_variant, 3, "A", TODAY + timedelta(days=2), cost="1.00")
    receive(tenant, store, lot_variant, 5, "B", TODAY + timedelta(days=5), cost="2.00")
    sell(tenant, store, lot_variant, "4", ref="SALE-9")  # 3 from A, 1 from B (FEFO)

    def give_back(qty, ref, earlier):
        return record_return(
            tenant=tenant,
            location_id=store.pk,
            ref_id=ref,
            sale_ref_id="SALE-9",
            earlier_ref_ids=earlier,
            lines=[StockLine(variant_id=lot_variant.pk, qty=D(qty))],
        )

    first = give_back("2", "RET-1", [])
    assert [(r.lot.lot_code, r.lot.expiry_date, r.qty_delta) for r in first] == [
        ("A", TODAY + timedelta(days=2), D("2"))
    ]
    second = give_back("2", "RET-2", ["RET-1"])
    assert [(r.lot.lot_code, r.qty_delta, r.ref_type) for r in second] == [
        ("A", D("1"), "RETURN"),
        ("B", D("1"), "RETURN"),
    ]
    assert list(
        Lot.objects.filter(tenant=tenant).order_by("lot_code").values_list("lot_code", "qty")
    ) == [("A", D("3")), ("B", D("5"))]
    # beyond what the sale took from lots (say, a mistaken third return): a new lot
    extra = give_back("1", "RET-3", ["RET-1", "RET-2"])
    assert extra[0].lot.lot_code not in ("A", "B")
    assert_invariants(tenant)


def test_a_return_at_another_store_keeps_the_lot_code_and_expiry(
    tenant, store, warehouse, lot_variant
):
    from storekeep.inventory.services import record_return

    expiry = TODAY + timedelta(days=3)
    receive(tenant, store, lot_variant, 2, "MILK-7", expiry)
    sell(tenant, store, lot_variant, "2", ref="SALE-10")
    (row,) = record_return(
        tenant=tenant,
        location_id=warehouse.pk,
        ref_id="RET-9",
        sale_ref_id="SALE-10",
        lines=[StockLine(variant_id=lot_variant.pk, qty=D("1"))],
    )
    assert (row.location_id, row.lot.lot_code, row.lot.expiry_date) == (
        warehouse.pk,
        "MILK-7",
        expiry,
    )
    assert_invariants(tenant)
