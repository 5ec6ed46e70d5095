"""Purchase orders drafted from the reorder suggestions (SPEC §6).

The suggestions themselves are a read: ``purchasing.selectors.reorder_suggestion_list``.
"""

from __future__ import annotations

from collections import defaultdict

from storekeep.core.db import atomic_with_retry
from storekeep.core.errors import Unprocessable


@atomic_with_retry
def purchase_orders_from_suggestions(*, tenant, filters: dict | None = None, actor=None) -> dict:
    """Draft one purchase order per (vendor, location) from the current suggestions.

    ``filters`` as ``purchasing.selectors.reorder_suggestion_list``. Lines get the suggested
    quantity at the vendor's unit cost (else the variant's cost). Suggestions
    whose variant has no vendor are skipped and listed. Returns
    ``{"orders": [PurchaseOrder…], "skipped": [{location_id, variant_id, sku,
    suggested_qty}]}``. Errors: 422 ``no_suggestions`` when nothing can be
    ordered. SPEC §6.
    """
    from storekeep.purchasing.error_codes import PurchasingErrorCode
    from storekeep.purchasing.models import PurchaseOrder, PurchaseOrderLine
    from storekeep.purchasing.selectors import reorder_suggestion_list

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
