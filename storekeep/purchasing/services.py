"""Purchase orders: DRAFT (editable) → submit → receive (partial) → RECEIVED; cancel (SPEC §6).

Receipts go through the stock engine's ``receive_stock`` with
``ref_type=PURCHASE_ORDER_RECEIPT`` (moving-average cost updated, lots and
expiry for lot-tracked variants). Each service is one transaction that locks
the order row first (SPEC §3.4).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
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
from storekeep.core.numbers import clean_cost, clean_qty
from storekeep.core.outbox import emit_event
from storekeep.inventory.error_codes import InventoryErrorCode
from storekeep.inventory.models import LedgerRefType, StockLedger
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.locations.models import Location

from .error_codes import PurchasingErrorCode
from .models import PurchaseOrder, PurchaseOrderLine, Vendor, VendorVariant
from .selectors import OPEN_STATUSES, reorder_suggestion_list

ZERO = Decimal("0")
COST_STEP = Decimal("0.0001")
MAX_COST = Decimal("9999999999.9999")


@dataclass(frozen=True)
class OrderLineInput:
    """A PO line: ``qty_ordered`` > 0 (stock unit); ``unit_cost`` per stock unit (None → vendor/variant cost)."""

    variant_id: int
    qty_ordered: Decimal
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class ReceiveLineInput:
    """A delivered quantity: ``qty`` > 0; optional ``unit_cost`` (else the line's), lot code and expiry."""

    variant_id: int
    qty: Decimal
    unit_cost: Decimal | None = None
    lot_code: str | None = None
    expiry_date: date | None = None


def _locked_order(tenant, order_id) -> PurchaseOrder:
    rows = lock_rows(PurchaseOrder.objects.filter(tenant=tenant, pk=order_id))
    if not rows:
        raise NotFound("Purchase order not found.", details={"order_id": order_id})
    return rows[0]


def _require_status(order: PurchaseOrder, allowed, action: str, code: str | None = None) -> None:
    if order.status not in allowed:
        raise InvalidState(
            f"Cannot {action} a purchase order that is {order.status}.",
            code=code,
            details={"order_id": order.pk, "status": order.status, "allowed": sorted(allowed)},
        )


def _vendor(tenant, vendor_id) -> Vendor:
    vendor = Vendor.objects.filter(tenant=tenant, pk=vendor_id).first()
    if vendor is None:
        raise NotFound("Vendor not found.", details={"vendor_id": vendor_id})
    if not vendor.is_active:
        raise Unprocessable(
            "Vendor is inactive.", code=ErrorCode.INACTIVE, details={"vendor_id": vendor.pk}
        )
    return vendor


def _location(tenant, location_id) -> Location:
    location = Location.objects.filter(tenant=tenant, pk=location_id).first()
    if location is None:
        raise NotFound("Location not found.", details={"location_id": location_id})
    if not location.is_active:
        raise Unprocessable(
            "Location is inactive.", code=ErrorCode.INACTIVE, details={"location_id": location.pk}
        )
    return location


def _build_lines(
    tenant, order: PurchaseOrder, lines: Sequence[OrderLineInput]
) -> list[PurchaseOrderLine]:
    if not lines:
        raise ValidationFailed(
            "A purchase order needs at least one line.", details={"lines": ["Empty."]}
        )
    cleaned = []
    for index, line in enumerate(lines):
        qty = clean_qty(line.qty_ordered, field_name=f"lines[{index}].qty_ordered")
        cost = (
            None
            if line.unit_cost is None
            else clean_cost(line.unit_cost, field_name=f"lines[{index}].unit_cost")
        )
        cleaned.append((int(line.variant_id), qty, cost))
    ids = [v for v, _, _ in cleaned]
    duplicates = sorted({v for v in ids if ids.count(v) > 1})
    if duplicates:
        raise ValidationFailed(
            "Each variant may appear on one line only.",
            details={"duplicate_variant_ids": duplicates},
        )
    variants = {v.pk: v for v in Variant.objects.filter(tenant=tenant, pk__in=ids)}
    missing = sorted(set(ids) - variants.keys())
    if missing:
        raise NotFound("Variant not found.", details={"variant_ids": missing})
    untracked = sorted(pk for pk, v in variants.items() if not v.track_inventory)
    if untracked:
        raise ValidationFailed(
            "These variants do not track inventory.",
            code=InventoryErrorCode.NOT_STOCKED,
            details={"variant_ids": untracked},
        )
    require_whole_units((i, variants[v], qty) for i, (v, qty, _) in enumerate(cleaned))
    vendor_costs = dict(
        VendorVariant.objects.filter(
            tenant=tenant, vendor_id=order.vendor_id, variant_id__in=ids
        ).values_list("variant_id", "unit_cost")
    )
    return [
        PurchaseOrderLine(
            tenant=tenant,
            order=order,
            variant_id=v,
            qty_ordered=qty,
            unit_cost=cost if cost is not None else vendor_costs.get(v, variants[v].cost),
        )
        for v, qty, cost in cleaned
    ]


@atomic_with_retry
def purchase_order_create(
    *,
    tenant,
    vendor_id: int,
    location_id: int,
    lines: Sequence[OrderLineInput],
    note: str = "",
    expected_at: date | None = None,
    actor=None,
) -> PurchaseOrder:
    """Draft a purchase order for delivery to ``location_id``.

    ``lines``: one per variant; a missing ``unit_cost`` takes the vendor's
    cost for the variant (VendorVariant), else the variant's cost. Errors:
    400 ``validation_error`` (no lines, bad qty/cost, duplicate variant,
    ``not_stocked``), 404 (vendor/location/variant of another tenant),
    422 ``inactive`` (inactive vendor or location). SPEC §6.
    """
    vendor = _vendor(tenant, vendor_id)
    location = _location(tenant, location_id)
    order = PurchaseOrder(
        tenant=tenant,
        vendor=vendor,
        location=location,
        note=note or "",
        expected_at=expected_at,
        created_by=actor,
    )
    built = _build_lines(tenant, order, lines)
    order.save()
    PurchaseOrderLine.objects.bulk_create(built)
    return order


@atomic_with_retry
def purchase_order_update(
    *,
    tenant,
    order_id: int,
    lines: Sequence[OrderLineInput] | None = None,
    note: str | None = None,
    expected_at: date | None | type(...) = ...,
    location_id: int | None = None,
    vendor_id: int | None = None,
) -> PurchaseOrder:
    """Edit a DRAFT order; given ``lines`` replace all lines. Only DRAFT orders are editable.

    Errors: 409 ``po_not_editable`` (SUBMITTED or later), plus those of
    :func:`purchase_order_create`. SPEC §6.
    """
    order = _locked_order(tenant, order_id)
    _require_status(
        order, {PurchaseOrder.Status.DRAFT}, "edit", code=PurchasingErrorCode.PO_NOT_EDITABLE
    )
    fields = ["updated_at"]
    if vendor_id is not None and int(vendor_id) != order.vendor_id:
        order.vendor = _vendor(tenant, vendor_id)
        fields.append("vendor")
    if location_id is not None and int(location_id) != order.location_id:
        order.location = _location(tenant, location_id)
        fields.append("location")
    if note is not None:
        order.note = note
        fields.append("note")
    if expected_at is not ...:
        order.expected_at = expected_at
        fields.append("expected_at")
    if lines is not None:
        built = _build_lines(tenant, order, lines)
        order.lines.all().delete()
        PurchaseOrderLine.objects.bulk_create(built)
    order.save(update_fields=fields)
    return order


@atomic_with_retry
def purchase_order_submit(*, tenant, order_id: int, actor=None) -> PurchaseOrder:
    """DRAFT → SUBMITTED (sent to the vendor). Errors: 404, 409 ``invalid_state``. SPEC §6."""
    order = _locked_order(tenant, order_id)
    _require_status(order, {PurchaseOrder.Status.DRAFT}, "submit")
    if not order.lines.exists():
        raise InvalidState(
            "A purchase order without lines cannot be submitted.", details={"order_id": order.pk}
        )
    order.status = PurchaseOrder.Status.SUBMITTED
    order.submitted_at = timezone.now()
    order.save(update_fields=["status", "submitted_at", "updated_at"])
    return order


@atomic_with_retry
def purchase_order_receive(
    *, tenant, order_id: int, lines: Sequence[ReceiveLineInput], actor=None, occurred_at=None
) -> tuple[PurchaseOrder, list[StockLedger]]:
    """Receive a delivery against a SUBMITTED/PARTIAL_RECEIVED order.

    ``lines``: qty > 0 per variant of the order (a variant may repeat, e.g. two
    lots); the total per variant may not exceed ordered − received. Stock is
    received at the order's location with PURCHASE_ORDER_RECEIPT rows at
    ``unit_cost`` (else the line's cost), updating the moving-average cost.
    Status becomes RECEIVED when every line is complete, else
    PARTIAL_RECEIVED. Returns (order, ledger rows). Errors: 400, 404,
    409 ``invalid_state`` (DRAFT, RECEIVED, CANCELLED), 409 ``over_receipt``,
    422 ``variant_not_on_order``. SPEC §6.
    """
    order = _locked_order(tenant, order_id)
    _require_status(
        order, {PurchaseOrder.Status.SUBMITTED, PurchaseOrder.Status.PARTIAL_RECEIVED}, "receive"
    )
    if not lines:
        raise ValidationFailed("At least one line is required.", details={"lines": ["Empty."]})
    order_lines = {line.variant_id: line for line in order.lines.order_by("pk")}
    receipts, totals = [], defaultdict(lambda: ZERO)
    for index, line in enumerate(lines):
        variant_id = int(line.variant_id)
        qty = clean_qty(line.qty, field_name=f"lines[{index}].qty")
        cost = (
            None
            if line.unit_cost is None
            else clean_cost(line.unit_cost, field_name=f"lines[{index}].unit_cost")
        )
        if variant_id not in order_lines:
            raise Unprocessable(
                "This variant is not on the order.",
                code=PurchasingErrorCode.VARIANT_NOT_ON_ORDER,
                details={"variant_id": variant_id, "line_index": index},
            )
        totals[variant_id] += qty
        lot_code = (line.lot_code or "").strip() or None
        if lot_code and len(lot_code) > 64:
            raise ValidationFailed(
                "lot_code is too long.", details={f"lines[{index}].lot_code": ["64 at most."]}
            )
        receipts.append(
            ReceiptLine(
                variant_id=variant_id,
                qty=qty,
                unit_cost=cost if cost is not None else order_lines[variant_id].unit_cost,
                lot_code=lot_code,
                expiry_date=line.expiry_date,
            )
        )
    over = [
        {
            "variant_id": v,
            "qty": str(q),
            "qty_remaining": str(order_lines[v].qty_ordered - order_lines[v].qty_received),
        }
        for v, q in totals.items()
        if q > order_lines[v].qty_ordered - order_lines[v].qty_received
    ]
    if over:
        raise Conflict(
            "Cannot receive more than was ordered and not yet received.",
            code=PurchasingErrorCode.OVER_RECEIPT,
            details={"lines": over},
        )
    now = occurred_at or timezone.now()
    rows = receive_stock(
        tenant=tenant,
        location_id=order.location_id,
        lines=receipts,
        actor=actor,
        ref_type=LedgerRefType.PURCHASE_ORDER_RECEIPT,
        ref_id=str(order.pk),
        note=f"PO {order.pk}",
        occurred_at=occurred_at,
    )
    changed = []
    for variant_id, qty in totals.items():
        line = order_lines[variant_id]
        line.qty_received += qty
        line.updated_at = now
        changed.append(line)
    PurchaseOrderLine.objects.bulk_update(changed, ["qty_received", "updated_at"])
    done = all(line.qty_received >= line.qty_ordered for line in order_lines.values())
    order.status = PurchaseOrder.Status.RECEIVED if done else PurchaseOrder.Status.PARTIAL_RECEIVED
    order.received_at = now if done else None
    order.save(update_fields=["status", "received_at", "updated_at"])
    emit_event(
        tenant=tenant,
        event_type="purchase_order.received",
        data={
            "order_id": order.pk,
            "status": order.status,
            "vendor_id": order.vendor_id,
            "location_id": order.location_id,
            "lines": [
                {"variant_id": variant_id, "qty_received": str(qty.quantize(Decimal("0.001")))}
                for variant_id, qty in totals.items()
            ],
        },
    )
    return order, rows


@atomic_with_retry
def purchase_order_cancel(*, tenant, order_id: int, actor=None) -> PurchaseOrder:
    """Cancel a DRAFT, SUBMITTED or PARTIAL_RECEIVED order (what was received stays in stock;
    the rest is no longer expected). Errors: 404, 409 ``invalid_state`` (RECEIVED, CANCELLED). SPEC §6."""
    order = _locked_order(tenant, order_id)
    _require_status(order, set(OPEN_STATUSES), "cancel")
    order.status = PurchaseOrder.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    return order


@atomic_with_retry
def purchase_orders_from_suggestions(*, tenant, filters: dict | None = None, actor=None) -> dict:
    """Draft one purchase order per (vendor, location) from the current suggestions.

    ``filters`` as :func:`~storekeep.purchasing.selectors.reorder_suggestion_list`. Lines get the suggested
    quantity at the vendor's unit cost (else the variant's cost). Suggestions
    whose variant has no vendor are skipped and listed. Returns
    ``{"orders": [PurchaseOrder…], "skipped": [{location_id, variant_id, sku,
    suggested_qty}]}``. Errors: 422 ``no_suggestions`` when nothing can be
    ordered. SPEC §6.
    """
    rows = list(reorder_suggestion_list(tenant=tenant, filters=filters))
    groups: dict[tuple[int, int], list] = defaultdict(list)
    skipped = []
    for row in rows:
        if row.vendor_id_eff is None:
            skipped.append(
                {
                    "location_id": row.location_id,
                    "variant_id": row.variant_id,
                    "sku": row.variant.sku,
                    "suggested_qty": str(row.suggested_qty),
                }
            )
        else:
            groups[(row.vendor_id_eff, row.location_id)].append(row)
    if not groups:
        raise Unprocessable(
            "No reorder suggestion can be ordered (none, or no vendor).",
            code=PurchasingErrorCode.NO_SUGGESTIONS,
            details={"skipped": skipped},
        )
    orders = []
    for (vendor_id, location_id), items in sorted(groups.items()):
        order = PurchaseOrder.objects.create(
            tenant=tenant,
            vendor_id=vendor_id,
            location_id=location_id,
            note="Drafted from reorder suggestions",
            created_by=actor,
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    tenant=tenant,
                    order=order,
                    variant_id=row.variant_id,
                    qty_ordered=row.suggested_qty,
                    unit_cost=row.vendor_unit_cost
                    if row.vendor_unit_cost is not None
                    else row.variant.cost,
                )
                for row in items
            ]
        )
        orders.append(order)
    return {"orders": orders, "skipped": skipped}
