"""Ledger parity (SPEC §3.2) and the inventory_check command."""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storekeep.inventory.models import StockLedger
from storekeep.inventory.selectors import ledger_parity_mismatches, running_balance_breaks
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    confirm_reservation,
    receive_stock,
    record_return,
    record_sale,
    reserve_stock,
    write_off,
)
from storekeep.testing import factories

from .helpers import D, assert_invariants, item


def _busy_day(tenant, store, warehouse, variant, variant_b, lot_variant):
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[
            ReceiptLine(variant_id=variant.pk, qty=D("10"), unit_cost=D("2")),
            ReceiptLine(variant_id=variant_b.pk, qty=D("4")),
            ReceiptLine(
                variant_id=lot_variant.pk,
                qty=D("6"),
                lot_code="A",
                expiry_date=timezone.localdate() + timedelta(days=3),
            ),
        ],
    )
    receive_stock(
        tenant=tenant,
        location_id=warehouse.pk,
        lines=[ReceiptLine(variant_id=variant.pk, qty=D("2"))],
    )
    record_sale(
        tenant=tenant,
        location_id=store.pk,
        ref_id="S1",
        lines=[
            StockLine(variant_id=variant.pk, qty=D("3")),
            StockLine(variant_id=lot_variant.pk, qty=D("2")),
        ],
    )
    record_return(
        tenant=tenant,
        location_id=store.pk,
        ref_id="R1",
        lines=[StockLine(variant_id=variant.pk, qty=D("1"))],
    )
    adjust_stock(
        tenant=tenant,
        location_id=store.pk,
        reason="correction",
        lines=[AdjustmentLine(variant_id=variant_b.pk, on_hand=D("3"))],
    )
    write_off(
        tenant=tenant,
        location_id=store.pk,
        reason="damage",
        lines=[StockLine(variant_id=lot_variant.pk, qty=D("1"))],
    )
    reservation = reserve_stock(
        tenant=tenant, location_id=store.pk, variant_id=variant.pk, qty=D("2")
    )
    confirm_reservation(tenant=tenant, reservation_id=reservation.pk)


def test_on_hand_equals_the_ledger_sum_and_balances_run(
    tenant, store, warehouse, variant, variant_b, lot_variant
):
    _busy_day(tenant, store, warehouse, variant, variant_b, lot_variant)
    assert item(tenant, store, variant).on_hand == D("6")
    assert item(tenant, store, variant_b).on_hand == D("3")
    assert item(tenant, store, lot_variant).on_hand == D("3")
    for row in StockLedger.objects.filter(tenant=tenant, variant=variant, location=store).order_by(
        "pk"
    ):
        assert row.balance_after in (D("10"), D("7"), D("8"), D("6"))
    assert_invariants(tenant)


def test_inventory_check_passes_when_clean(
    tenant, store, warehouse, variant, variant_b, lot_variant, capsys
):
    _busy_day(tenant, store, warehouse, variant, variant_b, lot_variant)
    call_command("inventory_check")
    call_command("inventory_check", "--tenant", tenant.slug)
    assert "inventory_check: OK" in capsys.readouterr().out


def test_inventory_check_by_ref_type_prints_totals(
    tenant, store, warehouse, variant, variant_b, lot_variant, capsys
):
    _busy_day(tenant, store, warehouse, variant, variant_b, lot_variant)
    # the engine-level sale and return here have no Sale / Return documents behind them
    with pytest.raises(CommandError, match="2 ref types differing from their documents"):
        call_command("inventory_check", "--by-ref-type")
    out = capsys.readouterr().out
    assert "REF_TYPE_MISMATCH SALE" in out and "REF_TYPE_MISMATCH RETURN" in out
    assert re.search(r"^RESERVATION_CONFIRM .* documents=-2(\.0+)? ok$", out, re.MULTILINE)
    lines = {
        m.group(1): (int(m.group(2)), D(m.group(3)))
        for m in re.finditer(
            r"^(?:REF_TYPE_MISMATCH )?(\w+)\s+rows=\s*(\d+) qty=(-?[\d.]+)", out, re.MULTILINE
        )
        if m.group(2) != "0"
    }
    assert lines["RECEIPT"] == (4, D("22"))
    assert lines["SALE"] == (2, D("-5"))
    assert lines["RESERVATION_CONFIRM"] == (1, D("-2"))
    assert set(lines) == {"RECEIPT", "SALE", "RETURN", "ADJUSTMENT", "WASTE", "RESERVATION_CONFIRM"}


def test_inventory_check_fails_listing_an_item_corrupted_by_raw_sql(
    tenant, store, variant, variant_b, stock, capsys
):
    stock(variant, store, 5)
    stock(variant_b, store, 5)
    pk = item(tenant, store, variant).pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_inventoryitem SET on_hand = 7 WHERE id = %s", [pk])
    with pytest.raises(CommandError, match="1 parity mismatches"):
        call_command("inventory_check")
    out = capsys.readouterr().out
    assert (
        f"MISMATCH tenant={tenant.pk} location={store.pk} variant={variant.pk} on_hand=7.000 ledger=5"
        in out
    )
    assert f"variant={variant_b.pk}" not in out
    with pytest.raises(CommandError):
        call_command("inventory_check", "--tenant", "no-such-tenant")
    other = factories.TenantFactory()
    call_command("inventory_check", "--tenant", other.slug)  # scoped: the other tenant is clean


def test_inventory_check_reports_a_broken_running_balance_and_an_orphan_row(
    tenant, store, variant, stock, capsys
):
    stock(variant, store, 5)
    StockLedger.objects.create(
        tenant=tenant,
        location=store,
        variant=variant,
        ref_type="ADJUSTMENT",
        qty_delta=D("1"),
        balance_after=D("9"),
    )
    orphan_variant = factories.VariantFactory(tenant=tenant)
    StockLedger.objects.create(
        tenant=tenant,
        location=store,
        variant=orphan_variant,
        ref_type="ADJUSTMENT",
        qty_delta=D("2"),
        balance_after=D("2"),
    )
    [brk] = running_balance_breaks(tenant=tenant)
    assert (brk["expected"], brk["balance_after"]) == (D("6"), D("9"))
    mismatches, _ = ledger_parity_mismatches(tenant=tenant)
    assert {(m["variant_id"], m["on_hand"]) for m in mismatches} == {
        (variant.pk, D("5")),
        (orphan_variant.pk, None),
    }
    with pytest.raises(CommandError, match="2 parity mismatches, 1 balance breaks"):
        call_command("inventory_check")
    assert "BALANCE ledger_id=" in capsys.readouterr().out


def test_inventory_check_query_count_does_not_grow_with_items(tenant, store, stock):
    variants = [factories.VariantFactory(tenant=tenant) for _ in range(12)]
    stock(variants[0], store, 1)
    with CaptureQueriesContext(connection) as few:
        call_command("inventory_check")
    for v in variants[1:]:
        stock(v, store, 1)
    with CaptureQueriesContext(connection) as many:
        call_command("inventory_check")
    assert len(many) == len(few) <= 6
