"""The stock services: never negative (§3.3), atomic (§3.4), tenant isolation (§3.6),
versions, moving-average cost and low-stock alerts (§4)."""

import pytest
from django.db import connection

from storekeep.catalog.models import RecipeComponent
from storekeep.core.errors import InsufficientStock, NotFound, ValidationFailed, VersionConflict
from storekeep.inventory.models import InventoryItem, LowStockAlert, StockLedger
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    receive_stock,
    record_return,
    record_sale,
    record_void,
    reserve_stock,
    write_off,
)
from storekeep.testing import factories

from .helpers import D, assert_invariants, item, snapshot


def sale(tenant, location, *lines, ref="S1"):
    return record_sale(
        tenant=tenant,
        location_id=location.pk,
        ref_id=ref,
        lines=[StockLine(variant_id=v.pk, qty=D(q)) for v, q in lines],
    )


# --- never negative (SPEC §3.3) -------------------------------------------------------------


def test_a_sale_beyond_on_hand_fails_with_insufficient_stock_listing_every_short_line(
    tenant, store, variant, variant_b, lot_variant, stock
):
    stock(variant, store, 3)
    stock(variant_b, store, 10)
    stock(lot_variant, store, 2, lot_code="L1")
    before = snapshot(tenant)
    with pytest.raises(InsufficientStock) as caught:
        sale(tenant, store, (variant, "4"), (variant_b, "1"), (lot_variant, "3"))
    exc = caught.value
    assert exc.code == "insufficient_stock" and exc.status_code == 409
    lines = exc.details["lines"]
    assert [(line["variant_id"], line["line_index"]) for line in lines] == [
        (variant.pk, 0),
        (lot_variant.pk, 2),
    ]
    assert lines[0] == {
        "location_id": store.pk,
        "variant_id": variant.pk,
        "sku": "MUG-RED",
        "line_index": 0,
        "requested": "4.000",
        "on_hand": "3.000",
        "available": "3.000",
    }
    assert snapshot(tenant) == before


def test_deduction_respects_available_not_only_on_hand(tenant, store, variant, stock):
    stock(variant, store, 5)
    reserve_stock(tenant=tenant, location_id=store.pk, variant_id=variant.pk, qty=D("4"))
    before = snapshot(tenant)
    with pytest.raises(InsufficientStock) as caught:
        sale(tenant, store, (variant, "2"))
    assert caught.value.details["lines"][0]["available"] == "1.000"
    with pytest.raises(InsufficientStock):
        adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="damage",
            lines=[AdjustmentLine(variant_id=variant.pk, delta=D("-2"))],
        )
    assert snapshot(tenant) == before
    sale(tenant, store, (variant, "1"))
    assert item(tenant, store, variant).on_hand == D("4")
    assert_invariants(tenant)


def test_selling_an_item_never_stocked_fails_and_creates_nothing_visible(tenant, store, variant):
    with pytest.raises(InsufficientStock):
        sale(tenant, store, (variant, "1"))
    assert StockLedger.objects.filter(tenant=tenant).count() == 0


def test_a_tenant_that_allows_negative_stock_can_go_below_zero(tenant, store, variant, stock):
    tenant.allow_negative_stock = True
    tenant.save()
    stock(variant, store, 2)
    rows = sale(tenant, store, (variant, "5"))
    assert [r.balance_after for r in rows] == [D("-3")]
    assert item(tenant, store, variant).on_hand == D("-3")
    assert_invariants(tenant)


def test_receipts_still_work_after_a_tenant_turns_negative_stock_off(tenant, store, variant, stock):
    """Bug: the item's CHECK flag followed the tenant flag, so +1 on an item at −3 raised IntegrityError."""
    tenant.allow_negative_stock = True
    tenant.save()
    sale(tenant, store, (variant, "3"))
    tenant.allow_negative_stock = False
    tenant.save()
    stock(variant, store, 1)
    assert item(tenant, store, variant).on_hand == D("-2")
    with pytest.raises(InsufficientStock):
        sale(tenant, store, (variant, "1"), ref="S2")
    stock(variant, store, 5)
    row = item(tenant, store, variant)
    assert row.on_hand == D("3") and row.allow_negative is False
    assert_invariants(tenant)


@pytest.mark.parametrize("column,value", [("on_hand", "-1"), ("reserved", "-1"), ("reserved", "6")])
def test_database_check_constraints_reject_impossible_quantities(
    column, value, tenant, store, variant, stock
):
    from django.db import IntegrityError, transaction

    stock(variant, store, 5)
    pk = item(tenant, store, variant).pk
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE inventory_inventoryitem SET {column} = %s WHERE id = %s", [value, pk]
        )
    assert item(tenant, store, variant).on_hand == D("5")


# --- atomic and ordered (SPEC §3.4) ------------------------------------------------------


def test_a_multi_line_operation_with_one_short_line_changes_nothing(
    tenant, store, variant, variant_b, stock
):
    stock(variant, store, 10)
    stock(variant_b, store, 1)
    before = snapshot(tenant)
    with pytest.raises(InsufficientStock):
        write_off(
            tenant=tenant,
            location_id=store.pk,
            reason="damage",
            lines=[
                StockLine(variant_id=variant.pk, qty=D("2")),
                StockLine(variant_id=variant_b.pk, qty=D("2")),
            ],
        )
    with pytest.raises(InsufficientStock):
        adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="correction",
            lines=[
                AdjustmentLine(variant_id=variant.pk, on_hand=D("0")),
                AdjustmentLine(variant_id=variant_b.pk, delta=D("-5")),
            ],
        )
    assert snapshot(tenant) == before


def test_lines_of_the_same_variant_are_applied_in_order_with_running_balances(
    tenant, store, variant, stock
):
    stock(variant, store, 10)
    rows = sale(tenant, store, (variant, "2"), (variant, "3"))
    assert [(r.qty_delta, r.balance_after, r.line_index) for r in rows] == [
        (D("-2"), D("8"), 0),
        (D("-3"), D("5"), 1),
    ]
    assert_invariants(tenant)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("qty", ["0", "-1", "abc", "1.0001", "NaN", "Infinity", "1e20", None, True])
def test_bad_quantities_are_rejected_and_change_nothing(qty, tenant, store, variant, stock):
    stock(variant, store, 5)
    before = snapshot(tenant)
    with pytest.raises(ValidationFailed) as caught:
        record_sale(
            tenant=tenant,
            location_id=store.pk,
            ref_id="S",
            lines=[StockLine(variant_id=variant.pk, qty=qty)],
        )
    assert caught.value.status_code == 400 and caught.value.code == "validation_error"
    with pytest.raises(ValidationFailed):
        receive_stock(
            tenant=tenant, location_id=store.pk, lines=[ReceiptLine(variant_id=variant.pk, qty=qty)]
        )
    assert snapshot(tenant) == before


@pytest.mark.parametrize("qty", ["-1", "0", "abc"])
def test_bad_quantities_of_a_recipe_parent_are_rejected(
    qty, tenant, store, variant, variant_b, stock
):
    """Bug: recipe lines skipped clean_qty, so a sale of −1 kit *added* its components."""
    kit = factories.VariantFactory(tenant=tenant, sku="KIT")
    RecipeComponent.objects.create(tenant=tenant, parent=kit, component=variant, qty=D("2"))
    stock(variant, store, 5)
    before = snapshot(tenant)
    with pytest.raises(ValidationFailed):
        record_sale(
            tenant=tenant,
            location_id=store.pk,
            ref_id="S",
            lines=[StockLine(variant_id=kit.pk, qty=qty)],
        )
    assert snapshot(tenant) == before


def test_a_receipt_that_would_overflow_on_hand_is_a_validation_error(tenant, store, variant, stock):
    """Bug: two receipts of the maximum quantity overflowed Decimal(14,3) (DataError → 500 on PostgreSQL)."""
    big = D("99999999999")  # + 1 passes Decimal(14,3)'s 99999999999.999
    stock(variant, store, big)
    before = snapshot(tenant)
    with pytest.raises(ValidationFailed):
        stock(variant, store, 1)
    assert snapshot(tenant) == before


@pytest.mark.parametrize("cost", ["-1", "NaN", "1e12", "0.00001"])
def test_bad_unit_costs_are_rejected(cost, tenant, store, variant):
    with pytest.raises(ValidationFailed):
        receive_stock(
            tenant=tenant,
            location_id=store.pk,
            lines=[ReceiptLine(variant_id=variant.pk, qty=D("1"), unit_cost=D(cost))],
        )
    assert not StockLedger.objects.filter(tenant=tenant).exists()


def test_unknown_reason_and_missing_lines_are_validation_errors(tenant, store, variant):
    with pytest.raises(ValidationFailed):
        adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="because",
            lines=[AdjustmentLine(variant_id=variant.pk, delta=D("1"))],
        )
    with pytest.raises(ValidationFailed):
        adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="correction",
            lines=[AdjustmentLine(variant_id=variant.pk, delta=D("1"), on_hand=D("1"))],
        )
    with pytest.raises(ValidationFailed):
        receive_stock(tenant=tenant, location_id=store.pk, lines=[])
    assert not InventoryItem.objects.filter(tenant=tenant).exists()


# --- tenant isolation (SPEC §3.6) ------------------------------------------------------------


def test_another_tenants_variant_or_location_is_not_found_and_nothing_is_written(
    tenant, other_tenant, store, variant, stock
):
    stock(variant, store, 5)
    their_location = factories.LocationFactory(tenant=other_tenant, code="THEIRS")
    their_variant = factories.VariantFactory(tenant=other_tenant, sku="THEIRS")
    service = factories.VariantFactory(tenant=tenant, sku="GIFT-WRAP", track_inventory=False)
    before, theirs_before = snapshot(tenant), snapshot(other_tenant)
    calls = [
        lambda: receive_stock(
            tenant=tenant,
            location_id=store.pk,
            lines=[ReceiptLine(variant_id=their_variant.pk, qty=D("1"))],
        ),
        lambda: receive_stock(
            tenant=tenant,
            location_id=their_location.pk,
            lines=[ReceiptLine(variant_id=variant.pk, qty=D("1"))],
        ),
        lambda: sale(tenant, store, (variant, "1"), (their_variant, "1")),
        # items exist only at the tenant's own locations: a foreign one is refused even when no
        # line moves stock (the engine then checks the locations instead of finding the items)
        lambda: sale(tenant, their_location, (service, "1")),
        lambda: adjust_stock(
            tenant=tenant,
            location_id=their_location.pk,
            reason="correction",
            lines=[AdjustmentLine(variant_id=variant.pk, on_hand=D("9"))],
        ),
        lambda: reserve_stock(
            tenant=tenant, location_id=store.pk, variant_id=their_variant.pk, qty=D("1")
        ),
        lambda: write_off(
            tenant=other_tenant,
            location_id=their_location.pk,
            reason="damage",
            lines=[StockLine(variant_id=variant.pk, qty=D("1"))],
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.status_code == 404
    assert snapshot(tenant) == before and snapshot(other_tenant) == theirs_before


def test_a_lot_id_of_another_item_is_not_found(tenant, store, variant, lot_variant, stock):
    """Bug: a foreign lot id answered 409 insufficient_stock instead of 404."""
    [row] = stock(lot_variant, store, 5, lot_code="A")
    stock(variant, store, 5)
    with pytest.raises(NotFound):
        write_off(
            tenant=tenant,
            location_id=store.pk,
            reason="damage",
            lines=[StockLine(variant_id=variant.pk, qty=D("1"), lot_id=row.lot_id)],
        )
    with pytest.raises(NotFound):
        write_off(
            tenant=tenant,
            location_id=store.pk,
            reason="damage",
            lines=[StockLine(variant_id=lot_variant.pk, qty=D("1"), lot_id=row.lot_id + 1000)],
        )


# --- versions, absolute sets ------------------------------------------------------------------


def test_every_change_increments_the_version_and_sets_last_movement(tenant, store, variant, stock):
    stock(variant, store, 5)
    first = item(tenant, store, variant)
    assert first.version == 1 and first.last_movement_at is not None
    sale(tenant, store, (variant, "1"))
    reserve_stock(tenant=tenant, location_id=store.pk, variant_id=variant.pk, qty=D("1"))
    adjust_stock(
        tenant=tenant,
        location_id=store.pk,
        reason="correction",
        lines=[AdjustmentLine(variant_id=variant.pk, on_hand=D("4"))],
    )
    assert item(tenant, store, variant).version == 4


def test_absolute_set_with_a_stale_version_is_a_version_conflict(tenant, store, variant, stock):
    stock(variant, store, 5)
    version = item(tenant, store, variant).version
    rows = adjust_stock(
        tenant=tenant,
        location_id=store.pk,
        reason="correction",
        lines=[AdjustmentLine(variant_id=variant.pk, on_hand=D("8"), expected_version=version)],
    )
    assert [(r.qty_delta, r.balance_after, r.reason) for r in rows] == [
        (D("3"), D("8"), "correction")
    ]
    before = snapshot(tenant)
    with pytest.raises(VersionConflict) as caught:
        adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="correction",
            lines=[AdjustmentLine(variant_id=variant.pk, on_hand=D("1"), expected_version=version)],
        )
    assert caught.value.code == "version_conflict" and caught.value.status_code == 409
    assert caught.value.details["current_version"] == version + 1
    assert snapshot(tenant) == before


# --- cost -----------------------------------------------------------------------------------


def test_receipts_update_the_moving_average_and_sales_carry_it(tenant, store, variant, stock):
    stock(variant, store, 10, unit_cost="4.00")
    stock(variant, store, 30, unit_cost="6.00")
    assert item(tenant, store, variant).avg_unit_cost == D("5.5000")
    [row] = sale(tenant, store, (variant, "4"))
    assert row.unit_cost == D("5.5000")
    stock(variant, store, 4, unit_cost="10.00")  # (36 × 5.5 + 4 × 10) / 40
    assert item(tenant, store, variant).avg_unit_cost == D("5.9500")


def test_a_receipt_without_cost_uses_the_variants_cost(tenant, store, variant, stock):
    """Bug: the documented default (the variant's cost) was ignored and the average stayed 0."""
    [row] = stock(variant, store, 10)
    assert row.unit_cost == D("4.00")
    assert item(tenant, store, variant).avg_unit_cost == D("4.0000")
    stock(variant, store, 10, unit_cost="6.00")
    assert item(tenant, store, variant).avg_unit_cost == D("5.0000")


def test_returns_and_voids_restock_at_the_line_cost(tenant, store, variant, stock):
    stock(variant, store, 10, unit_cost="4.00")
    [ret] = record_return(
        tenant=tenant,
        location_id=store.pk,
        ref_id="R1",
        lines=[StockLine(variant_id=variant.pk, qty=D("10"), unit_cost=D("6.00"))],
    )
    [void] = record_void(
        tenant=tenant,
        location_id=store.pk,
        ref_id="S9",
        lines=[StockLine(variant_id=variant.pk, qty=D("1"))],
    )
    assert (ret.ref_type, ret.unit_cost, ret.balance_after) == ("RETURN", D("6.00"), D("20"))
    assert (void.ref_type, void.balance_after) == ("VOID", D("21"))
    assert item(tenant, store, variant).avg_unit_cost == D("5.0000")
    assert_invariants(tenant)


# --- low stock (SPEC §4) ------------------------------------------------------------------------


def test_threshold_resolution_item_then_variant_then_tenant(tenant, store, variant, stock):
    from storekeep.inventory.services import resolve_threshold

    stock(variant, store, 1)
    row = item(tenant, store, variant)
    tenant.default_reorder_point = D("2")
    assert resolve_threshold(row, variant, tenant) == D("2")
    variant.reorder_point = D("5")
    assert resolve_threshold(row, variant, tenant) == D("5")
    row.reorder_point = D("0")
    assert resolve_threshold(row, variant, tenant) == D("0")


def test_a_low_stock_alert_fires_once_per_downward_crossing(tenant, store, variant, stock):
    variant.reorder_point = D("5")
    variant.save()
    stock(variant, store, 10)
    assert LowStockAlert.objects.filter(tenant=tenant).count() == 0
    sale(tenant, store, (variant, "5"))  # available 5 ≤ 5: crossing
    sale(tenant, store, (variant, "2"), ref="S2")  # still low: no second alert
    alerts = list(LowStockAlert.objects.filter(tenant=tenant))
    assert [(a.available, a.threshold) for a in alerts] == [(D("5"), D("5"))]
    assert item(tenant, store, variant).low_stock_alerted is True
    stock(variant, store, 3)  # 6 > 5: reset
    assert item(tenant, store, variant).low_stock_alerted is False
    reserve_stock(
        tenant=tenant, location_id=store.pk, variant_id=variant.pk, qty=D("2")
    )  # available 4
    assert LowStockAlert.objects.filter(tenant=tenant).count() == 2


def test_the_item_override_threshold_wins(tenant, store, variant, stock):
    variant.reorder_point = D("50")
    variant.save()
    stock(variant, store, 10)
    InventoryItem.objects.filter(tenant=tenant).update(reorder_point=D("2"))
    sale(tenant, store, (variant, "1"))
    assert (
        LowStockAlert.objects.filter(tenant=tenant).count() == 1
    )  # the receipt of 10 ≤ 50 alerted
    sale(tenant, store, (variant, "6"), ref="S2")  # 3 > 2: reset, not low
    assert item(tenant, store, variant).low_stock_alerted is False
    sale(tenant, store, (variant, "1"), ref="S3")  # 2 ≤ 2: crossing
    assert LowStockAlert.objects.filter(tenant=tenant).count() == 2


def test_variants_without_inventory_tracking_write_nothing(tenant, store):
    service = factories.VariantFactory(tenant=tenant, sku="GIFTWRAP", track_inventory=False)
    assert sale(tenant, store, (service, "3")) == []
    assert not InventoryItem.objects.filter(tenant=tenant).exists()


def test_the_low_stock_task_reports_each_alert(tenant, store, variant, stock, caplog):
    from storekeep.inventory.tasks import low_stock_alerts

    variant.reorder_point = D("3")
    variant.save()
    stock(variant, store, 5)
    sale(tenant, store, (variant, "2"))
    ids = list(LowStockAlert.objects.filter(tenant=tenant).values_list("pk", flat=True))
    assert len(ids) == 1
    with caplog.at_level("WARNING", logger="storekeep.inventory"):
        assert low_stock_alerts.apply(args=[ids]).get() == 1
    assert "low stock: MUG-RED at STORE1 — available 3.000 ≤ threshold 3.000" in caplog.text
