"""The ledger total the purchase orders imply (``inventory_check --by-ref-type``).

Registered on :data:`storekeep.inventory.document_checks.document_totals` by
:class:`storekeep.purchasing.apps.PurchasingConfig`.
"""

from __future__ import annotations

from django.db.models import Sum

from .models import PurchaseOrderLine


def purchasing_document_totals(*, tenant, totals: dict) -> None:
    """PURCHASE_ORDER_RECEIPT = Σ quantities received on purchase order lines (stock unit)."""
    lines = PurchaseOrderLine.objects.filter(variant__track_inventory=True)
    if tenant is not None:
        lines = lines.filter(tenant=tenant)
    total = lines.aggregate(total=Sum("qty_received"))["total"]
    totals["PURCHASE_ORDER_RECEIPT"] += total or 0
