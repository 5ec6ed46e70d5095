"""Reads of purchasing: purchase orders and reorder suggestions (STYLE: selectors)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from storekeep.core.filters import filter_queryset
from storekeep.core.selectors import get_object
from storekeep.inventory.rules import QTY_FIELD
from storekeep.inventory.selectors import stock_level_list

from .filters import PurchaseOrderFilter, ReorderSuggestionFilter
from .models import PurchaseOrder, PurchaseOrderLine, Vendor, VendorVariant

ZERO = Decimal("0")
COST_FIELD = DecimalField(max_digits=14, decimal_places=4)
OPEN_STATUSES = (
    PurchaseOrder.Status.DRAFT,
    PurchaseOrder.Status.SUBMITTED,
    PurchaseOrder.Status.PARTIAL_RECEIVED,
)


def _orders(tenant) -> QuerySet[PurchaseOrder]:
    lines = PurchaseOrderLine.objects.select_related("variant").order_by("pk")
    return (
        PurchaseOrder.objects.filter(tenant=tenant)
        .select_related("vendor")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-pk")
    )


def purchase_order_list(
    *, tenant, filters: dict | None = None, location_ids=None
) -> QuerySet[PurchaseOrder]:
    """Orders with vendor and lines (and their variants), newest first (SPEC §6).

    ``filters`` (PurchaseOrderFilter): ``status``, ``vendor_id``,
    ``location_id``; ``location_ids``: a member's locations (None = all).
    """
    queryset = _orders(tenant)
    if location_ids is not None:
        queryset = queryset.filter(location_id__in=list(location_ids))
    return filter_queryset(PurchaseOrderFilter, queryset, filters, tenant=tenant)


def purchase_order_get(*, tenant, order_id) -> PurchaseOrder:
    """One order with vendor and lines; 404 ``not_found`` for another tenant's id."""
    return get_object(_orders(tenant), order_id)


def purchase_orders_by_id(*, tenant, order_ids) -> list[PurchaseOrder]:
    """The tenant's orders among ``order_ids`` with vendor and lines, oldest first (one query
    for the orders, one for the lines)."""
    return list(_orders(tenant).filter(pk__in=list(order_ids)).order_by("pk"))


def vendor_names(*, tenant, vendor_ids) -> dict[int, str]:
    """``{vendor id: name}`` of the tenant's vendors among ``vendor_ids`` (one query, none if empty)."""
    ids = {pk for pk in vendor_ids if pk}
    if not ids:
        return {}
    return dict(Vendor.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "name"))


def reorder_suggestion_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet:
    """Items to reorder, annotated; ordered by location, SKU (SPEC §4, §6).

    An item needs reordering when ``available ≤ threshold``. Its suggested
    quantity is ``reorder_qty`` (item → variant) or, without one,
    ``threshold − available``, minus what open purchase orders (DRAFT,
    SUBMITTED, PARTIAL_RECEIVED: ordered − received) will still bring to that
    location; items that then need nothing are left out. The vendor is the
    variant's preferred active VendorVariant (then the cheapest, then the
    oldest link). Everything is computed in SQL, so a page costs the same
    queries whatever its size.

    ``filters`` (ReorderSuggestionFilter): ``location_id``, ``category`` (id),
    ``vendor_id``, ``variant_ids``, ``search``; ``location_ids`` (or
    ``filters["location_ids"]``): a member's locations. Each row is an
    InventoryItem with ``available_qty``, ``threshold``, ``reorder_qty_eff``,
    ``open_po_qty``, ``suggested_qty`` (> 0), ``vendor_id_eff`` (None when the
    variant has no vendor) and ``vendor_unit_cost``.
    """
    filters = dict(filters or {})
    if location_ids is None:
        location_ids = filters.pop("location_ids", None)
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
        stock_level_list(tenant=tenant, location_ids=location_ids)
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
    return filter_queryset(ReorderSuggestionFilter, queryset, filters, tenant=tenant)
