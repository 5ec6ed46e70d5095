"""Lot housekeeping: expiry write-offs and Σ lots = on hand repair (SPEC §7).

Both read their work list without locks, then redo the reading under the
engine's row locks (items first, then lots, the engine's order) and act only
on what they find there: never check-then-act on a stale quantity.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from storekeep.core.db import lock_rows, run_atomic
from storekeep.core.errors import InsufficientStock
from storekeep.tenants.models import Tenant

from ..models import InventoryItem, LedgerRefType, Lot, StockReason
from ._engine import StockMove, apply_moves, lock_items

logger = logging.getLogger("storekeep.inventory")


def _expire_group(tenant, location_id: int, variant_ids: set[int], today: date) -> int:
    lock_items(tenant, {(location_id, v) for v in variant_ids})
    lots = lock_rows(
        Lot.objects.filter(
            tenant=tenant,
            location_id=location_id,
            variant_id__in=variant_ids,
            expiry_date__lt=today,
            qty__gt=0,
        )
    )
    moves = [
        StockMove(
            location_id=location_id,
            variant_id=lot.variant_id,
            qty=-lot.qty,
            lot_id=lot.pk,
            reason=StockReason.EXPIRY,
            note=f"lot {lot.lot_code} expired {lot.expiry_date}",
            line_index=index,
        )
        for index, lot in enumerate(lots)
    ]
    while moves:
        try:
            apply_moves(
                tenant=tenant,
                moves=moves,
                ref_type=LedgerRefType.EXPIRY,
                ref_id=f"expiry-{today.isoformat()}",
            )
            return len(moves)
        except InsufficientStock as exc:
            # Reserved stock cannot expire from under its reservation: leave those lots for
            # later (the reservation is released or expires first) and expire the rest.
            short = {line["line_index"] for line in exc.details["lines"]}
            logger.warning(
                "lot expiry skipped for reserved stock at location %s: %s",
                location_id,
                exc.details["lines"],
            )
            moves = [m for m in moves if m.line_index not in short]
    return 0


def expire_lots(*, today: date, tenant=None) -> int:
    """Write off every lot with qty > 0 whose ``expiry_date`` is before ``today`` (EXPIRY rows, reason
    ``expiry``), one transaction per (tenant, location). The lot's quantity is read under the lock.
    Lots whose stock is reserved (available would fall below zero) are skipped and logged.
    Returns the number of lots expired. SPEC §7.
    """
    lots = Lot.objects.filter(expiry_date__lt=today, qty__gt=0)
    if tenant is not None:
        lots = lots.filter(tenant=tenant)
    groups: dict[tuple[int, int], set[int]] = defaultdict(set)
    for tenant_id, location_id, variant_id in lots.values_list(
        "tenant_id", "location_id", "variant_id"
    ):
        groups[(tenant_id, location_id)].add(variant_id)
    tenants = Tenant.objects.in_bulk({t for t, _ in groups})
    expired = 0
    for (tenant_id, location_id), variant_ids in sorted(groups.items()):
        expired += run_atomic(
            lambda t=tenants[tenant_id], loc=location_id, vs=variant_ids: _expire_group(
                t, loc, vs, today
            )
        )
    return expired


def lot_differences(*, tenant=None) -> list[dict]:
    """Items of lot-tracked variants where Σ lot qty ≠ on hand (one aggregate query each side).

    Returns ``[{tenant_id, location_id, variant_id, on_hand, lots_total}]`` (Decimals, stock units).
    """
    items = InventoryItem.objects.filter(variant__track_lots=True)
    lots = Lot.objects.all()
    if tenant is not None:
        items, lots = items.filter(tenant=tenant), lots.filter(tenant=tenant)
    lot_sums = {
        (row["tenant_id"], row["location_id"], row["variant_id"]): row["total"]
        for row in lots.values("tenant_id", "location_id", "variant_id").annotate(total=Sum("qty"))
    }
    out = []
    for item in items.values("tenant_id", "location_id", "variant_id", "on_hand"):
        key = (item["tenant_id"], item["location_id"], item["variant_id"])
        total = lot_sums.get(key) or Decimal("0")
        if total != item["on_hand"]:
            out.append(
                {
                    "tenant_id": key[0],
                    "location_id": key[1],
                    "variant_id": key[2],
                    "on_hand": item["on_hand"],
                    "lots_total": total,
                }
            )
    return out


def repair_lot_difference(difference: dict, *, actor=None) -> list:
    """Repair one difference of :func:`lot_differences` through the ledger: an ADJUSTMENT row
    (reason ``correction``) moves on hand to Σ lots, leaving the lots as they are.

    The difference is recomputed under the item and lot locks, so a stale report repairs
    only what is still wrong. Returns the rows written (none when nothing is left to repair).
    Raises InsufficientStock (409) when Σ lots is below the reserved quantity. SPEC §3.2, §7.
    """
    tenant = Tenant.objects.get(pk=difference["tenant_id"])
    location_id, variant_id = difference["location_id"], difference["variant_id"]

    def repair():
        item = lock_items(tenant, {(location_id, variant_id)})[(location_id, variant_id)]
        lots = lock_rows(
            Lot.objects.filter(tenant=tenant, location_id=location_id, variant_id=variant_id)
        )
        delta = sum((lot.qty for lot in lots), Decimal("0")) - item.on_hand
        if not delta:
            return []
        # check_available: on hand may not fall below what is reserved.
        move = StockMove(
            location_id=location_id,
            variant_id=variant_id,
            qty=delta,
            reason=StockReason.CORRECTION,
            note="reconcile_lots --fix",
            skip_lots=True,
        )
        return apply_moves(
            tenant=tenant, ref_type=LedgerRefType.ADJUSTMENT, moves=[move], actor=actor
        )

    return run_atomic(repair)
