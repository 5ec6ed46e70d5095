"""Lot housekeeping: expiry write-offs and Σ lots = on hand repair (SPEC §7)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from storekeep.core.db import run_atomic
from storekeep.tenants.models import Tenant

from ..models import InventoryItem, LedgerRefType, Lot, StockReason
from ._engine import StockMove, apply_moves
from .stock import StockLine, write_off


def expire_lots(*, today: date, tenant=None) -> int:
    """Write off every lot with qty > 0 whose expiry date is before ``today`` (EXPIRY rows).

    One write-off per (tenant, location); returns the number of lots expired.
    """
    lots = Lot.objects.filter(expiry_date__lt=today, qty__gt=0)
    if tenant is not None:
        lots = lots.filter(tenant=tenant)
    groups: dict[tuple[int, int], list[Lot]] = defaultdict(list)
    for lot in lots.order_by("tenant_id", "location_id", "pk"):
        groups[(lot.tenant_id, lot.location_id)].append(lot)
    tenants = Tenant.objects.in_bulk({t for t, _ in groups})
    for (tenant_id, location_id), group in groups.items():
        write_off(tenant=tenants[tenant_id], location_id=location_id, reason=StockReason.EXPIRY,
                  ref_type=LedgerRefType.EXPIRY, ref_id=f"expiry-{today.isoformat()}",
                  lines=[StockLine(variant_id=lot.variant_id, qty=lot.qty, lot_id=lot.pk) for lot in group])
    return sum(len(g) for g in groups.values())


def lot_differences(*, tenant=None) -> list[dict]:
    """Items of lot-tracked variants where Σ lot qty ≠ on hand (one aggregate query each side)."""
    items = InventoryItem.objects.filter(variant__track_lots=True)
    lots = Lot.objects.all()
    if tenant is not None:
        items, lots = items.filter(tenant=tenant), lots.filter(tenant=tenant)
    lot_sums = {(row["tenant_id"], row["location_id"], row["variant_id"]): row["total"]
                for row in lots.values("tenant_id", "location_id", "variant_id").annotate(total=Sum("qty"))}
    out = []
    for item in items.values("tenant_id", "location_id", "variant_id", "on_hand"):
        key = (item["tenant_id"], item["location_id"], item["variant_id"])
        total = lot_sums.get(key) or Decimal("0")
        if total != item["on_hand"]:
            out.append({"tenant_id": key[0], "location_id": key[1], "variant_id": key[2],
                        "on_hand": item["on_hand"], "lots_total": total})
    return out


def repair_lot_difference(difference: dict, *, actor=None) -> list:
    """Repair one difference through the ledger: an ADJUSTMENT row (reason ``correction``)
    moves on hand to Σ lots, leaving the lots as they are. Returns the rows written."""
    tenant = Tenant.objects.get(pk=difference["tenant_id"])
    delta = difference["lots_total"] - difference["on_hand"]
    move = StockMove(location_id=difference["location_id"], variant_id=difference["variant_id"], qty=delta,
                     reason=StockReason.CORRECTION, note="reconcile_lots --fix", check_available=False,
                     skip_lots=True)
    return run_atomic(lambda: apply_moves(tenant=tenant, ref_type=LedgerRefType.ADJUSTMENT, moves=[move],
                                          actor=actor))
