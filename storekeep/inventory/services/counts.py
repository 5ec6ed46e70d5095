"""Cycle counts: create → scan lines → preview variance → finalize (SPEC §6).

A line's ``expected_qty`` is the item's on hand at the first scan of its
variant; later scans change ``counted_qty`` only. Finalizing applies
``counted − expected`` as COUNT_RECONCILE deltas through the engine, so sales
and receipts made while the count was running are kept, and stamps
``last_counted_at`` on every counted item. At most one active FULL_STORE count
per location (a partial unique constraint backs the check); ZONE counts may
run side by side.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
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
from ..models import (
    CountSession,
    CountSessionLine,
    InventoryItem,
    LedgerRefType,
    StockLedger,
    StockReason,
)
from .stock import AdjustmentLine, adjust_stock

ZERO = Decimal("0")
MONEY_STEP = Decimal("0.01")

ACTIVE = (CountSession.Status.DRAFT, CountSession.Status.IN_PROGRESS)


def _locked_count(tenant, count_id) -> CountSession:
    rows = lock_rows(CountSession.objects.filter(tenant=tenant, pk=count_id))
    if not rows:
        raise NotFound("Count not found.", details={"count_id": count_id})
    return rows[0]


def _require_status(count: CountSession, allowed, action: str) -> None:
    if count.status not in allowed:
        raise InvalidState(
            f"Cannot {action} a count that is {count.status}.",
            details={"count_id": count.pk, "status": count.status, "allowed": sorted(allowed)},
        )


def _already_active(location_id) -> Conflict:
    return Conflict(
        "A full-store count is already active at this location.",
        code=InventoryErrorCode.COUNT_ALREADY_ACTIVE,
        details={"location_id": int(location_id)},
    )


@atomic_with_retry
def count_create(
    *,
    tenant,
    location_id: int,
    scope: str = CountSession.Scope.FULL_STORE,
    zone_name: str = "",
    actor=None,
) -> CountSession:
    """Open a DRAFT count at a location.

    ``scope`` FULL_STORE or ZONE (ZONE needs ``zone_name``). Errors: 400
    ``validation_error``, 404 (location of another tenant), 409
    ``count_already_active`` (another DRAFT/IN_PROGRESS FULL_STORE count at the
    location; the database's partial unique constraint decides races). SPEC §6.
    """
    if scope not in CountSession.Scope.values:
        raise ValidationFailed("Unknown scope.", details={"scope": [str(scope)]})
    zone_name = (zone_name or "").strip()
    if scope == CountSession.Scope.ZONE and not zone_name:
        raise ValidationFailed(
            "A ZONE count needs a zone_name.", details={"zone_name": ["Required for ZONE."]}
        )
    if len(zone_name) > 100:
        raise ValidationFailed(
            "zone_name is too long.", details={"zone_name": ["100 characters at most."]}
        )
    location = Location.objects.filter(tenant=tenant, pk=location_id).first()
    if location is None:
        raise NotFound("Location not found.", details={"location_id": location_id})
    if not location.is_active:
        raise Unprocessable(
            "Location is inactive.", code=ErrorCode.INACTIVE, details={"location_id": location.pk}
        )
    if (
        scope == CountSession.Scope.FULL_STORE
        and CountSession.objects.filter(
            tenant=tenant, location=location, scope=scope, status__in=ACTIVE
        ).exists()
    ):
        raise _already_active(location.pk)
    try:
        with transaction.atomic():
            return CountSession.objects.create(
                tenant=tenant,
                location=location,
                scope=scope,
                zone_name=zone_name if scope == CountSession.Scope.ZONE else "",
                created_by=actor,
            )
    except IntegrityError:
        raise _already_active(location.pk) from None


@atomic_with_retry
def count_record_scan(
    *,
    tenant,
    count_id: int,
    counted_qty,
    variant_id: int | None = None,
    barcode: str | None = None,
    mode: str = "set",
    actor=None,
) -> CountSessionLine:
    """Record a scan: the counted quantity of one variant (by id or barcode).

    ``counted_qty`` ≥ 0 in stock units; ``mode`` ``set`` (replace) or ``add``
    (add to what was counted). The first scan of a variant snapshots
    ``expected_qty`` = its on hand now (0 without an item) and moves the count
    from DRAFT to IN_PROGRESS. Errors: 400 (bad qty, neither or both of
    variant_id/barcode), 404 (unknown variant/barcode, count of another tenant),
    400 ``not_stocked`` (variant does not track inventory), 400
    ``fractional_quantity`` (a fractional count of a whole-number unit), 409
    ``invalid_state`` (FINALIZED/CANCELLED count). SPEC §6.
    """
    if (variant_id is None) == (not barcode):
        raise ValidationFailed(
            "Give either variant_id or barcode.", details={"variant_id": ["Exactly one of."]}
        )
    if mode not in ("set", "add"):
        raise ValidationFailed("mode is set or add.", details={"mode": [str(mode)]})
    qty = clean_qty(counted_qty, field_name="counted_qty", allow_zero=True)
    count = _locked_count(tenant, count_id)
    _require_status(count, ACTIVE, "record a scan on")
    variant = _scanned_variant(tenant, variant_id=variant_id, barcode=barcode)
    require_whole_units([(None, variant, qty)])
    line = CountSessionLine.objects.filter(tenant=tenant, session=count, variant=variant).first()
    if line is None:
        on_hand = (
            InventoryItem.objects.filter(
                tenant=tenant, location_id=count.location_id, variant=variant
            )
            .values_list("on_hand", flat=True)
            .first()
        )
        line = CountSessionLine.objects.create(
            tenant=tenant,
            session=count,
            variant=variant,
            expected_qty=on_hand if on_hand is not None else ZERO,
            counted_qty=qty,
        )
    else:
        line.counted_qty = line.counted_qty + qty if mode == "add" else qty
        clean_qty(line.counted_qty, field_name="counted_qty", allow_zero=True)
        line.save(update_fields=["counted_qty", "scanned_at", "updated_at"])
    if count.status == CountSession.Status.DRAFT:
        count.status = CountSession.Status.IN_PROGRESS
        count.save(update_fields=["status", "updated_at"])
    return line


def _scanned_variant(tenant, *, variant_id, barcode) -> Variant:
    """The variant scanned (by id or barcode): 404 when unknown, 400 ``not_stocked``."""
    variants = Variant.objects.filter(tenant=tenant)
    variant = (
        variants.filter(pk=variant_id)
        if variant_id is not None
        else variants.filter(barcode=barcode)
    ).first()
    if variant is None:
        raise NotFound(
            "Variant not found.",
            details={"variant_id": variant_id} if variant_id is not None else {"barcode": barcode},
        )
    if not variant.track_inventory:
        raise ValidationFailed(
            "This variant does not track inventory.",
            code=InventoryErrorCode.NOT_STOCKED,
            details={"variant_id": variant.pk},
        )
    return variant


@atomic_with_retry
def count_finalize(*, tenant, count_id: int, actor=None) -> tuple[CountSession, list[StockLedger]]:
    """Apply an IN_PROGRESS count: COUNT_RECONCILE rows of ``counted − expected`` per line.

    Lines with no variance write nothing but still get ``last_counted_at``.
    Because deltas (not absolute sets) are applied, sales made during the count
    are kept. Returns (count, ledger rows). Errors: 404, 409 ``invalid_state``
    (DRAFT with no scans, already FINALIZED, CANCELLED), 409
    ``insufficient_stock`` (a shortfall larger than what is still on hand;
    nothing is applied). SPEC §6.
    """
    count = _locked_count(tenant, count_id)
    if count.status == CountSession.Status.DRAFT:
        raise InvalidState(
            "Nothing was counted yet.", details={"count_id": count.pk, "status": count.status}
        )
    _require_status(count, {CountSession.Status.IN_PROGRESS}, "finalize")
    lines = list(CountSessionLine.objects.filter(tenant=tenant, session=count).order_by("pk"))
    adjustments = [
        AdjustmentLine(variant_id=line.variant_id, delta=line.counted_qty - line.expected_qty)
        for line in lines
        if line.counted_qty != line.expected_qty
    ]
    rows = []
    if adjustments:
        rows = adjust_stock(
            tenant=tenant,
            location_id=count.location_id,
            lines=adjustments,
            reason=StockReason.CORRECTION,
            note=f"count {count.pk}",
            actor=actor,
            ref_type=LedgerRefType.COUNT_RECONCILE,
            ref_id=str(count.pk),
        )
    now = timezone.now()
    # last_counted_at is not a guarded quantity: a plain update is allowed here.
    InventoryItem.objects.filter(
        tenant=tenant,
        location_id=count.location_id,
        variant_id__in=[line.variant_id for line in lines],
    ).update(last_counted_at=now)
    count.status = CountSession.Status.FINALIZED
    count.finalized_at = now
    count.save(update_fields=["status", "finalized_at", "updated_at"])
    events.count_finalized(tenant, count, rows)
    return count, rows


@atomic_with_retry
def count_cancel(*, tenant, count_id: int, actor=None) -> CountSession:
    """Cancel a DRAFT/IN_PROGRESS count; nothing is applied. Errors: 404, 409 ``invalid_state``. SPEC §6."""
    count = _locked_count(tenant, count_id)
    _require_status(count, ACTIVE, "cancel")
    count.status = CountSession.Status.CANCELLED
    count.save(update_fields=["status", "updated_at"])
    return count


__all__ = [
    "count_cancel",
    "count_create",
    "count_finalize",
    "count_record_scan",
]
