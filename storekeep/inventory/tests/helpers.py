"""Shared checks for the stock-engine tests: snapshots and the SPEC §3 invariants."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from storekeep.inventory.models import InventoryItem, Lot, Reservation, StockLedger
from storekeep.inventory.selectors import ledger_parity_mismatches, running_balance_breaks
from storekeep.inventory.services.lots import lot_differences

D = Decimal


def snapshot(tenant) -> dict:
    """Everything an engine operation may write, for "failed operations change nothing" checks."""
    return {
        "items": sorted(
            InventoryItem.objects.filter(tenant=tenant).values_list(
                "pk",
                "location_id",
                "variant_id",
                "on_hand",
                "reserved",
                "version",
                "avg_unit_cost",
                "low_stock_alerted",
                "last_movement_at",
            )
        ),
        "ledger": StockLedger.objects.filter(tenant=tenant).count(),
        "lots": sorted(Lot.objects.filter(tenant=tenant).values_list("pk", "qty")),
        "reservations": sorted(
            Reservation.objects.filter(tenant=tenant).values_list("pk", "status", "qty")
        ),
    }


def item(tenant, location, variant) -> InventoryItem:
    return InventoryItem.objects.get(tenant=tenant, location=location, variant=variant)


def on_hand(tenant, location, variant) -> Decimal:
    found = InventoryItem.objects.filter(tenant=tenant, location=location, variant=variant).first()
    return found.on_hand if found else D("0")


def assert_invariants(tenant=None) -> None:
    """SPEC §3.2/§3.3: parity, running balances, Σ lots = on hand, non-negative, reserved within on hand,
    and reserved = Σ qty of PENDING reservations."""
    mismatches, _ = ledger_parity_mismatches(tenant=tenant)
    assert mismatches == [], mismatches
    breaks = running_balance_breaks(tenant=tenant)
    assert breaks == [], breaks
    lots = lot_differences(tenant=tenant)
    assert lots == [], lots
    items = (
        InventoryItem.objects.all()
        if tenant is None
        else InventoryItem.objects.filter(tenant=tenant)
    )
    pending = Reservation.objects.filter(status=Reservation.Status.PENDING)
    if tenant is not None:
        pending = pending.filter(tenant=tenant)
    held = {
        (r["location_id"], r["variant_id"]): r["total"]
        for r in pending.values("location_id", "variant_id").annotate(total=Sum("qty"))
    }
    for row in items.values(
        "location_id", "variant_id", "on_hand", "reserved", "tenant__allow_negative_stock"
    ):
        assert row["reserved"] >= 0, row
        if not row["tenant__allow_negative_stock"]:
            assert row["on_hand"] >= 0, row
            assert row["reserved"] <= row["on_hand"], row
        assert row["reserved"] == held.get((row["location_id"], row["variant_id"]), D("0")), row
    assert not Lot.objects.filter(qty__lt=0).exists()
