"""Stock transfers between locations: DRAFT → send → receive (SPEC §6).

``transfer_send`` writes TRANSFER_OUT rows at the source (IN_TRANSIT);
``transfer_receive`` writes TRANSFER_IN rows at the destination
(PARTIAL_RECEIVED until every sent unit arrived, then RECEIVED). Goods arrive
at the cost they left with (the TRANSFER_OUT rows' unit cost, lot by lot for
lot-tracked variants, keeping lot codes and expiry dates) and update the
destination's moving-average cost. Each service is one transaction that locks
the transfer row first, then the stock rows through the engine (SPEC §3.4).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from storekeep.catalog.models import Variant
from storekeep.catalog.units import require_whole_units
from storekeep.core.db import atomic_with_retry, lock_rows
from storekeep.core.errors import (
    Conflict,
    ErrorCode,
    InvalidState,
    NotFound,
    Unprocessable,
    ValidationFailed,
)
from storekeep.core.numbers import clean_qty
from storekeep.locations.models import Location

from .. import events
from ..error_codes import InventoryErrorCode
from ..models import InventoryTransfer, InventoryTransferLine, LedgerRefType, StockLedger
from ._engine import StockMove, apply_moves

ZERO = Decimal("0")


@dataclass(frozen=True)
class TransferLineInput:
    """A line of a new transfer: ``qty`` > 0 in the variant's stock unit."""

    variant_id: int
    qty: Decimal


@dataclass(frozen=True)
class TransferReceiveLine:
    """A line of a receipt: ``qty_receive`` > 0, at most the line's ``qty_remaining``."""

    variant_id: int
    qty_receive: Decimal


def _locked_transfer(tenant, transfer_id) -> InventoryTransfer:
    rows = lock_rows(InventoryTransfer.objects.filter(tenant=tenant, pk=transfer_id))
    if not rows:
        raise NotFound("Transfer not found.", details={"transfer_id": transfer_id})
    return rows[0]


def _require_status(transfer: InventoryTransfer, allowed: set[str], action: str) -> None:
    if transfer.status not in allowed:
        raise InvalidState(
            f"Cannot {action} a transfer that is {transfer.status}.",
            details={
                "transfer_id": transfer.pk,
                "status": transfer.status,
                "allowed": sorted(allowed),
            },
        )


def _unique_variant_ids(variant_ids: list[int]) -> None:
    seen, duplicates = set(), set()
    for variant_id in variant_ids:
        (duplicates if variant_id in seen else seen).add(variant_id)
    if duplicates:
        raise ValidationFailed(
            "Each variant may appear on one line only.",
            details={"duplicate_variant_ids": sorted(duplicates)},
        )


@atomic_with_retry
def transfer_create(
    *,
    tenant,
    from_location_id: int,
    to_location_id: int,
    lines: Sequence[TransferLineInput],
    note: str = "",
    actor=None,
) -> InventoryTransfer:
    """Create a DRAFT transfer (no stock moves yet).

    ``lines``: one per variant, ``qty`` > 0 (≤ 3 decimals, stock unit).
    Errors: 400 ``validation_error`` (no lines, bad qty, duplicate variant),
    400 ``fractional_quantity`` (issue 12 item 5),
    400 ``not_stocked`` (variant that does not track inventory), 400
    ``same_location``, 404 ``not_found`` (location/variant of another
    tenant), 422 ``inactive`` (inactive location). SPEC §6.
    """
    _check_locations(tenant, from_location_id, to_location_id)
    if not lines:
        raise ValidationFailed("A transfer needs at least one line.", details={"lines": ["Empty."]})
    cleaned = [
        (int(line.variant_id), clean_qty(line.qty, field_name=f"lines[{index}].qty"))
        for index, line in enumerate(lines)
    ]
    _unique_variant_ids([variant_id for variant_id, _ in cleaned])
    variants = _check_variants(tenant, [variant_id for variant_id, _ in cleaned])
    require_whole_units((i, variants[v], qty) for i, (v, qty) in enumerate(cleaned))
    transfer = InventoryTransfer.objects.create(
        tenant=tenant,
        from_location_id=from_location_id,
        to_location_id=to_location_id,
        note=note,
        created_by=actor,
    )
    InventoryTransferLine.objects.bulk_create(
        [
            InventoryTransferLine(tenant=tenant, transfer=transfer, variant_id=variant_id, qty=qty)
            for variant_id, qty in cleaned
        ]
    )
    return transfer


def _check_locations(tenant, from_location_id, to_location_id) -> None:
    """Two different, active locations of ``tenant`` (400 / 404 / 422)."""
    if int(from_location_id) == int(to_location_id):
        raise ValidationFailed(
            "Source and destination must differ.",
            code=InventoryErrorCode.SAME_LOCATION,
            details={"to_location_id": ["Same as from_location_id."]},
        )
    locations = {
        loc.pk: loc
        for loc in Location.objects.filter(tenant=tenant, pk__in=[from_location_id, to_location_id])
    }
    missing = sorted({int(from_location_id), int(to_location_id)} - locations.keys())
    if missing:
        raise NotFound("Location not found.", details={"location_ids": missing})
    inactive = sorted(pk for pk, loc in locations.items() if not loc.is_active)
    if inactive:
        raise Unprocessable(
            "Location is inactive.", code=ErrorCode.INACTIVE, details={"location_ids": inactive}
        )


def _check_variants(tenant, variant_ids: list[int]) -> dict[int, Variant]:
    """Variants of ``tenant`` that track inventory, by id (404 / 400 ``not_stocked``)."""
    variants = {v.pk: v for v in Variant.objects.filter(tenant=tenant, pk__in=variant_ids)}
    missing = sorted(set(variant_ids) - variants.keys())
    if missing:
        raise NotFound("Variant not found.", details={"variant_ids": missing})
    untracked = sorted(pk for pk, v in variants.items() if not v.track_inventory)
    if untracked:
        raise ValidationFailed(
            "These variants do not track inventory.",
            code=InventoryErrorCode.NOT_STOCKED,
            details={"variant_ids": untracked},
        )
    return variants


@atomic_with_retry
def transfer_send(*, tenant, transfer_id: int, actor=None) -> InventoryTransfer:
    """Send a DRAFT transfer: TRANSFER_OUT rows at the source, status IN_TRANSIT.

    Locks the transfer, then the source stock rows (one query). Errors: 404,
    409 ``invalid_state`` (not DRAFT), 409 ``insufficient_stock`` (every short
    line in ``details["lines"]``; nothing is sent). SPEC §6, §3.3.
    """
    transfer = _locked_transfer(tenant, transfer_id)
    _require_status(transfer, {InventoryTransfer.Status.DRAFT}, "send")
    lines = list(transfer.lines.order_by("pk"))
    moves = [
        StockMove(
            location_id=transfer.from_location_id,
            variant_id=line.variant_id,
            qty=-line.qty,
            line_index=index,
            note=f"transfer {transfer.pk}",
        )
        for index, line in enumerate(lines)
    ]
    now = timezone.now()
    apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=LedgerRefType.TRANSFER_OUT,
        ref_id=str(transfer.pk),
        actor=actor,
        occurred_at=now,
    )
    for line in lines:
        line.qty_sent = line.qty
        line.updated_at = now
    InventoryTransferLine.objects.bulk_update(lines, ["qty_sent", "updated_at"])
    transfer.status = InventoryTransfer.Status.IN_TRANSIT
    transfer.sent_at = now
    transfer.save(update_fields=["status", "sent_at", "updated_at"])
    return transfer


def _out_portions(
    tenant, transfer
) -> dict[int, list[tuple[Decimal, Decimal | None, str | None, object]]]:
    """Per variant, what left the source in row order: (qty, unit_cost, lot_code, expiry_date)."""
    portions: dict[int, list] = defaultdict(list)
    rows = (
        StockLedger.objects.filter(
            tenant=tenant, ref_type=LedgerRefType.TRANSFER_OUT, ref_id=str(transfer.pk)
        )
        .select_related("lot")
        .order_by("pk")
    )
    for row in rows:
        lot = row.lot
        portions[row.variant_id].append(
            (
                -row.qty_delta,
                row.unit_cost,
                lot.lot_code if lot else None,
                lot.expiry_date if lot else None,
            )
        )
    return portions


def _slice(portions, start: Decimal, qty: Decimal):
    """The portions covering units ``start`` … ``start + qty`` of what was sent."""
    position, end, out = ZERO, start + qty, []
    for portion_qty, cost, lot_code, expiry in portions:
        lo, hi = max(position, start), min(position + portion_qty, end)
        if hi > lo:
            out.append((hi - lo, cost, lot_code, expiry))
        position += portion_qty
    return out


@atomic_with_retry
def transfer_receive(
    *, tenant, transfer_id: int, lines: Sequence[TransferReceiveLine], actor=None
) -> InventoryTransfer:
    """Receive (part of) an IN_TRANSIT/PARTIAL_RECEIVED transfer at its destination.

    ``lines``: ``qty_receive`` > 0 per variant of the transfer, each at most
    its ``qty_remaining`` (= sent − received). Writes TRANSFER_IN rows at the
    cost the goods left with (moving average updated) and, for lot-tracked
    variants, into lots with the source lot codes and expiry dates. Status
    becomes RECEIVED when nothing remains, else PARTIAL_RECEIVED. The transfer
    row is locked first, so concurrent receipts serialize and never receive
    more than was sent. Errors: 400 (bad qty, duplicate line, no lines), 404,
    409 ``invalid_state`` (DRAFT, RECEIVED, CANCELLED), 409
    ``receive_exceeds_sent``, 422 ``variant_not_in_transfer``. SPEC §6.
    """
    transfer = _locked_transfer(tenant, transfer_id)
    _require_status(
        transfer,
        {InventoryTransfer.Status.IN_TRANSIT, InventoryTransfer.Status.PARTIAL_RECEIVED},
        "receive",
    )
    if not lines:
        raise ValidationFailed("At least one line is required.", details={"lines": ["Empty."]})
    cleaned = [
        (
            int(line.variant_id),
            clean_qty(line.qty_receive, field_name=f"lines[{index}].qty_receive"),
        )
        for index, line in enumerate(lines)
    ]
    _unique_variant_ids([variant_id for variant_id, _ in cleaned])
    by_variant = {line.variant_id: line for line in transfer.lines.order_by("pk")}
    _check_receivable(cleaned, by_variant)
    now = timezone.now()
    apply_moves(
        tenant=tenant,
        moves=_receipt_moves(tenant, transfer, cleaned, by_variant),
        ref_type=LedgerRefType.TRANSFER_IN,
        ref_id=str(transfer.pk),
        actor=actor,
        occurred_at=now,
    )
    changed = []
    for variant_id, qty in cleaned:
        line = by_variant[variant_id]
        line.qty_received += qty
        line.updated_at = now
        changed.append(line)
    InventoryTransferLine.objects.bulk_update(changed, ["qty_received", "updated_at"])
    done = all(line.qty_remaining == 0 for line in by_variant.values())
    transfer.status = (
        InventoryTransfer.Status.RECEIVED if done else InventoryTransfer.Status.PARTIAL_RECEIVED
    )
    transfer.received_at = now if done else None
    transfer.save(update_fields=["status", "received_at", "updated_at"])
    events.transfer_received(tenant, transfer, dict(cleaned))
    return transfer


def _check_receivable(cleaned, by_variant) -> None:
    """Every variant is on the transfer (422) and at most its ``qty_remaining`` (409)."""
    unknown = sorted(v for v, _ in cleaned if v not in by_variant)
    if unknown:
        raise Unprocessable(
            "These variants are not on the transfer.",
            code=InventoryErrorCode.VARIANT_NOT_IN_TRANSFER,
            details={"variant_ids": unknown},
        )
    over = [
        {"variant_id": v, "qty_receive": str(q), "qty_remaining": str(by_variant[v].qty_remaining)}
        for v, q in cleaned
        if q > by_variant[v].qty_remaining
    ]
    if over:
        raise Conflict(
            "Cannot receive more than was sent and not yet received.",
            code=InventoryErrorCode.RECEIVE_EXCEEDS_SENT,
            details={"lines": over},
        )


def _receipt_moves(tenant, transfer, cleaned, by_variant) -> list[StockMove]:
    """TRANSFER_IN moves: each received qty split into the portions that left the source,
    at their cost and into their lot (code, expiry)."""
    portions = _out_portions(tenant, transfer)
    moves = []
    for index, (variant_id, qty) in enumerate(cleaned):
        line = by_variant[variant_id]
        for part_qty, cost, lot_code, expiry in _slice(
            portions.get(variant_id, []), line.qty_received, qty
        ):
            moves.append(
                StockMove(
                    location_id=transfer.to_location_id,
                    variant_id=variant_id,
                    qty=part_qty,
                    unit_cost=cost,
                    update_cost=cost is not None,
                    lot_code=lot_code,
                    expiry_date=expiry,
                    line_index=index,
                    note=f"transfer {transfer.pk}",
                )
            )
    return moves


@atomic_with_retry
def transfer_cancel(*, tenant, transfer_id: int, actor=None) -> InventoryTransfer:
    """Cancel a DRAFT transfer (nothing was moved). Errors: 404, 409 ``invalid_state``. SPEC §6."""
    transfer = _locked_transfer(tenant, transfer_id)
    _require_status(transfer, {InventoryTransfer.Status.DRAFT}, "cancel")
    transfer.status = InventoryTransfer.Status.CANCELLED
    transfer.cancelled_at = timezone.now()
    transfer.save(update_fields=["status", "cancelled_at", "updated_at"])
    return transfer
