"""Reservations: hold available stock for an order (SPEC §8).

``reserve_stock`` raises ``reserved`` (fails when available < qty);
``confirm_reservation`` turns it into a deduction (RESERVATION_CONFIRM row),
``release_reservation`` / expiry lower ``reserved``. Confirm and release apply at
most once: the reservation row is locked first (parent document), and a repeat
of the same transition returns without changing anything (SPEC §3.8).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from storekeep.catalog.models import Variant
from storekeep.core.db import atomic_with_retry, lock_rows, run_atomic
from storekeep.core.errors import InvalidState, NotFound, ValidationFailed
from storekeep.core.numbers import clean_qty

from .. import events
from ..error_codes import InventoryErrorCode
from ..locks import inventory_lock
from ..models import InventoryItem, LedgerRefType, Reservation, StockLedger
from ._engine import StockMove, apply_moves

MAX_TTL_MINUTES = 60 * 24 * 30


def reserve_stock(
    *,
    tenant,
    location_id: int,
    variant_id: int,
    qty: Decimal,
    order_ref: str = "",
    ttl_minutes: int | None = None,
    actor=None,
) -> Reservation:
    """Reserve ``qty`` (stock units) of a variant at a location for ``ttl_minutes``
    (default: the tenant's ``reservation_ttl_minutes``).

    Raises InsufficientStock (409 ``insufficient_stock``) when available < qty (expired lots
    do not count), NotFound (404), ValidationFailed (400: bad qty, ``ttl_minutes`` not a whole
    number of minutes in 1..MAX_TTL_MINUTES; ``not_stocked``: a variant that tracks no
    inventory). Wrapped in the optional Redis lock when
    ``STOREKEEP_LOCK_BACKEND=redis`` (LockAcquisitionError, 409 ``concurrent_update``); the
    row lock is the guarantee. SPEC §8.
    """
    qty = clean_qty(qty)
    ttl = tenant.reservation_ttl_minutes if ttl_minutes is None else ttl_minutes
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL_MINUTES:
        raise ValidationFailed(
            f"ttl_minutes must be a whole number of minutes from 1 to {MAX_TTL_MINUTES}.",
            details={"ttl_minutes": [str(ttl_minutes)]},
        )

    def work() -> Reservation:
        _check_variant(tenant, variant_id)
        apply_moves(
            tenant=tenant,
            moves=[StockMove(location_id=location_id, variant_id=variant_id, reserved=qty)],
            ref_type=LedgerRefType.RESERVATION_CONFIRM,
            actor=actor,
        )
        return Reservation.objects.create(
            tenant=tenant,
            location_id=location_id,
            variant_id=variant_id,
            qty=qty,
            order_ref=order_ref[:100],
            expires_at=timezone.now() + timedelta(minutes=ttl),
            created_by=actor,
        )

    with inventory_lock(tenant, location_id, variant_id):
        return run_atomic(work)


def _check_variant(tenant, variant_id) -> None:
    """404 for another tenant's variant, 400 ``not_stocked`` for one that tracks no stock
    (the engine would skip it silently and the reservation would hold nothing)."""
    variant = Variant.objects.filter(tenant=tenant, pk=variant_id).only("track_inventory").first()
    if variant is None:
        raise NotFound("Variant not found.", details={"variant_id": variant_id})
    if not variant.track_inventory:
        raise ValidationFailed(
            "This variant does not track inventory.",
            code=InventoryErrorCode.NOT_STOCKED,
            details={"variant_id": variant_id},
        )


def _locked_reservation(tenant, reservation_id) -> Reservation:
    rows = lock_rows(Reservation.objects.filter(tenant=tenant, pk=reservation_id))
    if not rows:
        raise NotFound("Reservation not found.", details={"reservation_id": reservation_id})
    return rows[0]


@atomic_with_retry
def confirm_reservation(*, tenant, reservation_id: int, actor=None) -> list[StockLedger]:
    """Turn a PENDING reservation into a deduction: on hand and reserved both fall by qty.

    Confirming a CONFIRMED reservation again returns its ledger rows and
    changes nothing. RELEASED/EXPIRED (or overdue) → 409 ``invalid_state``.
    """
    reservation = _locked_reservation(tenant, reservation_id)
    if reservation.status == Reservation.Status.CONFIRMED:
        return list(
            StockLedger.objects.filter(
                tenant=tenant,
                ref_type=LedgerRefType.RESERVATION_CONFIRM,
                ref_id=str(reservation.pk),
            )
        )
    if reservation.status != Reservation.Status.PENDING or reservation.expires_at <= timezone.now():
        raise InvalidState(
            "Only a pending, unexpired reservation can be confirmed.",
            details={"status": reservation.status},
        )
    rows = apply_moves(
        tenant=tenant,
        actor=actor,
        ref_type=LedgerRefType.RESERVATION_CONFIRM,
        ref_id=str(reservation.pk),
        moves=[
            StockMove(
                location_id=reservation.location_id,
                variant_id=reservation.variant_id,
                qty=-reservation.qty,
                reserved=-reservation.qty,
                note=reservation.order_ref[:255],
            )
        ],
    )
    reservation.status = Reservation.Status.CONFIRMED
    reservation.confirmed_at = timezone.now()
    reservation.save(update_fields=["status", "confirmed_at", "updated_at"])
    events.reservation_confirmed(tenant, reservation, rows)
    return rows


def release_reservation(
    *, tenant, reservation_id: int, actor=None, expire: bool = False
) -> Reservation:
    """Release a PENDING reservation (``reserved`` falls; no ledger row: on hand is unchanged);
    ``expire=True`` marks it EXPIRED instead of RELEASED.

    Releasing an already released/expired reservation returns it unchanged (at most once,
    SPEC §3.8); a CONFIRMED one → 409 ``invalid_state``; another tenant's id → 404. SPEC §8.
    """
    return run_atomic(lambda: _release(tenant, reservation_id, actor=actor, expire=expire))[0]


def expire_reservation(*, tenant, reservation_id: int) -> bool:
    """Expire one PENDING reservation (``reserved`` falls, status EXPIRED); True when this call
    expired it, False when it was already released, expired or confirmed meanwhile (never a
    second release). The admin's "release expired now" and the beat job use it. SPEC §8."""
    try:
        return run_atomic(lambda: _release(tenant, reservation_id, actor=None, expire=True))[1]
    except InvalidState:  # confirmed meanwhile
        return False


def _release(tenant, reservation_id, *, actor, expire) -> tuple[Reservation, bool]:
    """Returns (reservation, whether this call released it)."""
    reservation = _locked_reservation(tenant, reservation_id)
    if reservation.status in (Reservation.Status.RELEASED, Reservation.Status.EXPIRED):
        return reservation, False
    if reservation.status == Reservation.Status.CONFIRMED:
        raise InvalidState(
            "A confirmed reservation cannot be released.", details={"status": reservation.status}
        )
    apply_moves(
        tenant=tenant,
        actor=actor,
        ref_type=LedgerRefType.RESERVATION_CONFIRM,
        ref_id=str(reservation.pk),
        moves=[
            StockMove(
                location_id=reservation.location_id,
                variant_id=reservation.variant_id,
                reserved=-reservation.qty,
            )
        ],
    )
    reservation.status = Reservation.Status.EXPIRED if expire else Reservation.Status.RELEASED
    reservation.released_at = timezone.now()
    reservation.save(update_fields=["status", "released_at", "updated_at"])
    if expire:
        events.reservations_expired(tenant, [reservation])
    return reservation, True


def release_expired_reservations(*, tenant=None, now=None, limit: int = 1000) -> int:
    """Expire overdue PENDING reservations (the beat job, every minute), one transaction each;
    returns how many this call expired (not those another process handled first). SPEC §8."""
    now = now or timezone.now()
    queryset = Reservation.objects.filter(status=Reservation.Status.PENDING, expires_at__lte=now)
    if tenant is not None:
        queryset = queryset.filter(tenant=tenant)
    return sum(
        expire_reservation(tenant=reservation.tenant, reservation_id=reservation.pk)
        for reservation in queryset.select_related("tenant").order_by("expires_at")[:limit]
    )


def item_for_update(*, tenant, location_id: int, variant_id: int) -> InventoryItem | None:
    rows = lock_rows(
        InventoryItem.objects.filter(tenant=tenant, location_id=location_id, variant_id=variant_id)
    )
    return rows[0] if rows else None
