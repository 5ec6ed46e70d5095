"""Filter sets of the report selectors (SPEC §9)."""

from __future__ import annotations

from storekeep.core.filters import IdFilter, TenantFilterSet
from storekeep.inventory.models import InventoryItem, StockLedger


class MovementFilter(TenantFilterSet):
    variant_id = IdFilter(field_name="variant_id")
    category = IdFilter(field_name="variant__product__category_id")

    class Meta:
        model = StockLedger
        fields: list = []


class ValuationFilter(TenantFilterSet):
    category = IdFilter(field_name="variant__product__category_id")

    class Meta:
        model = InventoryItem
        fields: list = []
