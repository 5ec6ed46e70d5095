"""Reorder suggestions and purchase orders drafted from them (SPEC §4, §6).

An item needs reordering when ``available ≤ threshold`` (threshold: item
reorder point → variant reorder point → tenant default). Its suggested
quantity is ``reorder_qty`` (item → variant) or, without one,
``threshold − available``, minus what open purchase orders (DRAFT, SUBMITTED,
PARTIAL_RECEIVED: ordered − received) will still bring to that location;
items that then need nothing are left out. The vendor is the variant's
preferred active VendorVariant (then the cheapest, then the oldest link).
Everything is computed in SQL, so a page costs the same queries whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from storekeep.core.db import atomic_with_retry
from storekeep.core.errors import Unprocessable

from ..selectors import stock_level_list

ZERO = Decimal("0")
QTY_FIELD = DecimalField(max_digits=14, decimal_places=3)
COST_FIELD = DecimalField(max_digits=14, decimal_places=4)


def reorder_suggestion_list(*, tenant, filters: dict | None = None) -> QuerySet:
    """Items to reorder, annotated; ordered by location, SKU.

    ``filters``: ``location_id``, ``location_ids`` (a member's locations),
    ``category`` (id), ``vendor_id``, ``variant_ids``, ``search``. Each row is
    an InventoryItem with ``available_qty``, ``threshold``, ``reorder_qty_eff``,
    ``open_po_qty``, ``suggested_qty`` (> 0), ``vendor_id_eff`` (None when the
    variant has no vendor) and ``vendor_unit_cost``. SPEC §6.
    """
    from storekeep.purchasing.models import PurchaseOrderLine, VendorVariant
    from storekeep.purchasing.services import OPEN_STATUSES

    filters = dict(filters or {})
    open_qty = (
        PurchaseOrderLine.objects.filter(
            tenant=tenant,
            variant_id=OuterRef("variant_id"),
            order__location_id=OuterRef("location_id"),
            order__status__in=OPEN_STATUSES,
        )
        .values("variant_id")
        .annotate(total=Sum(F("qty_ordered") - F("qty_received")))
        .values("total")
    )
    links = VendorVariant.objects.filter(
        tenant=tenant, variant_id=OuterRef("variant_id"), vendor__is_active=True
    ).order_by("-is_preferred", "unit_cost", "pk")
    queryset = (
        stock_level_list(
            tenant=tenant,
            filters={
                k: filters.get(k)
                for k in ("location_id", "location_ids", "category", "search")
                if filters.get(k) is not None
            },
        )
        .filter(is_low_stock=True)
        .annotate(
            reorder_qty_eff=Coalesce(
                F("reorder_qty"), F("variant__reorder_qty"), output_field=QTY_FIELD
            ),
            open_po_qty=Coalesce(
                Subquery(open_qty, output_field=QTY_FIELD), Value(ZERO), output_field=QTY_FIELD
            ),
            vendor_id_eff=Subquery(links.values("vendor_id")[:1]),
            vendor_unit_cost=Subquery(links.values("unit_cost")[:1], output_field=COST_FIELD),
        )
        .annotate(
            suggested_qty=ExpressionWrapper(
                Greatest(
                    Coalesce(
                        F("reorder_qty_eff"),
                        F("threshold") - F("available_qty"),
                        output_field=QTY_FIELD,
                    )
                    - F("open_po_qty"),
                    Value(ZERO),
                    output_field=QTY_FIELD,
                ),
                output_field=QTY_FIELD,
            )
        )
        .filter(suggested_qty__gt=0)
    )
    if filters.get("vendor_id"):
        queryset = queryset.filter(vendor_id_eff=filters["vendor_id"])
    if filters.get("variant_ids"):
        queryset = queryset.filter(variant_id__in=filters["variant_ids"])
    return queryset


@atomic_with_retry
def purchase_orders_from_suggestions(*, tenant, filters: dict | None = None, actor=None) -> dict:
    """Draft one purchase order per (vendor, location) from the current suggestions.

    ``filters`` as :func:`reorder_suggestion_list`. Lines get the suggested
    quantity at the vendor's unit cost (else the variant's cost). Suggestions
    whose variant has no vendor are skipped and listed. Returns
    ``{"orders": [PurchaseOrder…], "skipped": [{location_id, variant_id, sku,
    suggested_qty}]}``. Errors: 422 ``no_suggestions`` when nothing can be
    ordered. SPEC §6.
    """
    from storekeep.purchasing.error_codes import PurchasingErrorCode
    from storekeep.purchasing.models import PurchaseOrder, PurchaseOrderLine

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
