"""An item's reorder settings: its own reorder point and reorder qty (SPEC §4, §6)."""

from __future__ import annotations

from decimal import Decimal

from storekeep.core.db import atomic_with_retry, lock_rows
from storekeep.core.errors import NotFound
from storekeep.core.numbers import clean_qty

from ..models import InventoryItem
from ..rules import resolve_threshold


@atomic_with_retry
def stock_item_reorder_update(
    *, tenant, item_id: int, reorder_point: Decimal | None, reorder_qty: Decimal | None, actor=None
):
    """Set (or clear, with None) one item's reorder point and reorder qty overrides.

    Quantities in the variant's stock unit, ≥ 0, at most 3 decimals; None falls
    back to the variant's values, then the tenant default (SPEC §4 threshold).
    The item row is locked first so the low-stock flag is re-armed consistently:
    an item that is no longer low after the change may alert again on the next
    downward crossing. Errors: 404 ``not_found`` (item of another tenant), 400
    ``validation_error`` (negative or malformed quantity). SPEC §4, §6.
    """
    items = lock_rows(
        InventoryItem.objects.filter(tenant=tenant, pk=item_id).select_related("variant")
    )
    if not items:
        raise NotFound("Stock item not found.", details={"item_id": item_id})
    item = items[0]
    item.reorder_point = (
        None
        if reorder_point is None
        else clean_qty(reorder_point, field_name="reorder_point", allow_zero=True)
    )
    item.reorder_qty = (
        None
        if reorder_qty is None
        else clean_qty(reorder_qty, field_name="reorder_qty", allow_zero=True)
    )
    fields = ["reorder_point", "reorder_qty", "updated_at"]
    threshold = resolve_threshold(item, item.variant, tenant)
    if item.low_stock_alerted and item.on_hand - item.reserved > threshold:
        item.low_stock_alerted = False
        fields.append("low_stock_alerted")
    item.save(update_fields=fields)
    return item
