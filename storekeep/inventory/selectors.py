"""Reads of stock (STYLE: selectors return tenant-filtered, annotated querysets)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import InventoryItem, StockLedger

QTY_FIELD = DecimalField(max_digits=14, decimal_places=3)


def stock_level_list(*, tenant, filters: dict | None = None) -> QuerySet[InventoryItem]:
    """Items of the tenant with ``available``, ``threshold`` and ``is_low_stock`` annotated.

    ``filters``: ``location_id``, ``variant_id``, ``category`` (id), ``search``
    (SKU, barcode or product name), ``low_stock`` (bool), ``location_ids``
    (restrict to a member's locations). Threshold per SPEC §4: item override →
    variant reorder point → tenant default.
    """
    filters = filters or {}
    queryset = (
        InventoryItem.objects.filter(tenant=tenant, variant__track_inventory=True)
        .select_related("variant__product", "location")
        .annotate(
            available_qty=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QTY_FIELD),
            threshold=Coalesce(
                F("reorder_point"),
                F("variant__reorder_point"),
                Value(tenant.default_reorder_point),
                output_field=QTY_FIELD,
            ),
        )
        .annotate(
            is_low_stock=Case(
                When(available_qty__lte=F("threshold"), then=Value(True)), default=Value(False)
            )
        )
    )
    if filters.get("location_id"):
        queryset = queryset.filter(location_id=filters["location_id"])
    if filters.get("location_ids") is not None:
        queryset = queryset.filter(location_id__in=filters["location_ids"])
    if filters.get("variant_id"):
        queryset = queryset.filter(variant_id=filters["variant_id"])
    if filters.get("category"):
        queryset = queryset.filter(variant__product__category_id=filters["category"])
    if filters.get("search"):
        term = filters["search"]
        queryset = queryset.filter(
            Q(variant__sku__icontains=term)
            | Q(variant__barcode=term)
            | Q(variant__product__name__icontains=term)
            | Q(variant__name__icontains=term)
        )
    if filters.get("low_stock") is not None:
        queryset = queryset.filter(is_low_stock=filters["low_stock"])
    return queryset.order_by("location_id", "variant__sku", "pk")


def ledger_parity_mismatches(*, tenant=None, by_ref_type: bool = False) -> tuple[list[dict], dict]:
    """Items whose on hand differs from Σ ledger qty_delta (SPEC §3.2).

    One aggregate query over the ledger and one over the items. Returns
    (mismatches, totals_by_ref_type) — the second is empty unless ``by_ref_type``.
    """
    ledger = StockLedger.objects.all()
    items = InventoryItem.objects.all()
    if tenant is not None:
        ledger, items = ledger.filter(tenant=tenant), items.filter(tenant=tenant)
    sums = {
        (r["tenant_id"], r["location_id"], r["variant_id"]): r["total"]
        for r in ledger.values("tenant_id", "location_id", "variant_id").annotate(
            total=Sum("qty_delta")
        )
    }
    mismatches = []
    for item in items.values("tenant_id", "location_id", "variant_id", "on_hand").iterator(
        chunk_size=5000
    ):
        key = (item["tenant_id"], item["location_id"], item["variant_id"])
        ledger_total = sums.pop(key, None) or Decimal("0")
        if ledger_total != item["on_hand"]:
            mismatches.append(
                {
                    "tenant_id": key[0],
                    "location_id": key[1],
                    "variant_id": key[2],
                    "on_hand": item["on_hand"],
                    "ledger_total": ledger_total,
                }
            )
    for key, total in sums.items():  # ledger rows without an item
        mismatches.append(
            {
                "tenant_id": key[0],
                "location_id": key[1],
                "variant_id": key[2],
                "on_hand": None,
                "ledger_total": total,
            }
        )
    by_type = {}
    if by_ref_type:
        by_type = {
            r["ref_type"]: {"rows": r["rows"], "qty": r["qty"]}
            for r in ledger.values("ref_type")
            .annotate(rows=Sum(Value(1)), qty=Sum("qty_delta"))
            .order_by("ref_type")
        }
    return mismatches, by_type


def running_balance_breaks(*, tenant=None, limit: int = 100) -> list[dict]:
    """Ledger rows whose ``balance_after`` is not the running Σ qty_delta of their item (SPEC §3.2)."""
    ledger = StockLedger.objects.all()
    if tenant is not None:
        ledger = ledger.filter(tenant=tenant)
    balances: dict[tuple, Decimal] = {}
    breaks = []
    rows = ledger.order_by("tenant_id", "location_id", "variant_id", "pk").values_list(
        "pk", "tenant_id", "location_id", "variant_id", "qty_delta", "balance_after"
    )
    for pk, tenant_id, location_id, variant_id, delta, balance in rows.iterator(chunk_size=10000):
        key = (tenant_id, location_id, variant_id)
        running = balances.get(key, Decimal("0")) + delta
        balances[key] = running
        if running != balance:
            breaks.append(
                {
                    "ledger_id": pk,
                    "tenant_id": tenant_id,
                    "location_id": location_id,
                    "variant_id": variant_id,
                    "expected": running,
                    "balance_after": balance,
                }
            )
            balances[key] = balance
            if len(breaks) >= limit:
                break
    return breaks
