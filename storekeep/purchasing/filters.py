"""Filter sets of the purchasing selectors (SPEC §6, §9)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from storekeep.core.filters import IdFilter, IdListFilter, StableOrderingFilter, TenantFilterSet
from storekeep.inventory.filters import STOCK_ORDERING
from storekeep.inventory.models import InventoryItem

from .models import PurchaseOrder


class PurchaseOrderFilter(TenantFilterSet):
    status = django_filters.ChoiceFilter(choices=PurchaseOrder.Status.choices)
    vendor_id = IdFilter(field_name="vendor_id")
    location_id = IdFilter(field_name="location_id")

    class Meta:
        model = PurchaseOrder
        fields: list = []


#: ``?ordering=`` of the reorder list: the stock list's names plus the suggestion's (issue 15).
REORDER_ORDERING = {**STOCK_ORDERING, "suggested_qty": "suggested_qty"}


class ReorderSuggestionFilter(TenantFilterSet):
    """Filters of ``reorder_suggestion_list`` (over annotated InventoryItem rows)."""

    location_id = IdFilter(field_name="location_id")
    category = IdFilter(field_name="variant__product__category_id")
    search = django_filters.CharFilter(method="filter_search")
    vendor_id = IdFilter(field_name="vendor_id_eff")
    variant_ids = IdListFilter(field_name="variant_id")
    ordering = StableOrderingFilter(fields=tuple(REORDER_ORDERING.items()))

    class Meta:
        model = InventoryItem
        fields: list = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(variant__sku__icontains=value)
            | Q(variant__barcode=value)
            | Q(variant__product__name__icontains=value)
            | Q(variant__name__icontains=value)
        )
