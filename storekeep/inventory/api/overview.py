"""Inventory overview KPIs and stock summary (SPEC §9).

``GET /api/v1/inventory/overview`` — total_skus, total_qty, total_value
(Σ on hand × moving-average cost), low_stock_count, transfers_in_transit,
open_purchase_orders, active_counts; ``location_id`` filter.
``GET /api/v1/inventory/stock_summary`` — per variant: on hand, reserved,
available and value in total and per location (with threshold and
is_low_stock); paginated, ``?format=csv``. VIEWER+; a member restricted to
some locations sees only those (403 when asking for another).
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from storekeep.catalog.models import QTY, Variant
from storekeep.reports.csv import list_response, wants_csv

from ..models import CountSession, InventoryItem, InventoryTransfer
from ..selectors import stock_level_list
from ._shared import FORMAT_PARAM, READ_ERRORS, TenantListView, parse_query

ZERO = Decimal("0")
MONEY_STEP = Decimal("0.01")
MONEY = {"max_digits": 16, "decimal_places": 2}
VALUE_FIELD = DecimalField(max_digits=28, decimal_places=7)


def money(value) -> Decimal:
    return (value or ZERO).quantize(MONEY_STEP)


class OverviewQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)


class OverviewSerializer(serializers.Serializer):
    currency = serializers.CharField()
    location_id = serializers.IntegerField(allow_null=True)
    total_skus = serializers.IntegerField(help_text="distinct tracked variants with on hand ≠ 0")
    total_qty = serializers.DecimalField(**QTY)
    total_value = serializers.DecimalField(
        **MONEY, help_text="Σ on hand × moving-average unit cost"
    )
    low_stock_count = serializers.IntegerField(
        help_text="items (location, variant) with available ≤ threshold"
    )
    transfers_in_transit = serializers.IntegerField(
        help_text="IN_TRANSIT or PARTIAL_RECEIVED transfers"
    )
    open_purchase_orders = serializers.IntegerField(
        help_text="SUBMITTED or PARTIAL_RECEIVED orders"
    )
    active_counts = serializers.IntegerField()


class InventoryOverviewApi(TenantListView):
    @extend_schema(
        operation_id="inventory_overview",
        parameters=[OverviewQuerySerializer],
        responses={200: OverviewSerializer, **READ_ERRORS},
        summary="Inventory KPIs",
    )
    def get(self, request):
        from storekeep.purchasing.models import PurchaseOrder

        query = parse_query(OverviewQuerySerializer, request)
        scope = self.location_scope(query.get("location_id"))
        items = InventoryItem.objects.filter(tenant=self.tenant, variant__track_inventory=True)
        transfers = InventoryTransfer.objects.filter(
            tenant=self.tenant,
            status__in=[
                InventoryTransfer.Status.IN_TRANSIT,
                InventoryTransfer.Status.PARTIAL_RECEIVED,
            ],
        )
        orders = PurchaseOrder.objects.filter(
            tenant=self.tenant,
            status__in=[PurchaseOrder.Status.SUBMITTED, PurchaseOrder.Status.PARTIAL_RECEIVED],
        )
        counts = CountSession.objects.filter(
            tenant=self.tenant,
            status__in=[CountSession.Status.DRAFT, CountSession.Status.IN_PROGRESS],
        )
        if scope is not None:
            items = items.filter(location_id__in=scope)
            transfers = transfers.filter(
                Q(from_location_id__in=scope) | Q(to_location_id__in=scope)
            )
            orders = orders.filter(location_id__in=scope)
            counts = counts.filter(location_id__in=scope)
        totals = items.aggregate(
            total_skus=Count("variant_id", distinct=True, filter=~Q(on_hand=0)),
            total_qty=Sum("on_hand"),
            total_value=Sum(F("on_hand") * F("avg_unit_cost"), output_field=VALUE_FIELD),
        )
        low = stock_level_list(
            tenant=self.tenant, filters={"location_ids": scope} if scope is not None else {}
        )
        data = {
            "currency": self.tenant.currency,
            "location_id": query.get("location_id"),
            "total_skus": totals["total_skus"] or 0,
            "total_qty": totals["total_qty"] or ZERO,
            "total_value": money(totals["total_value"]),
            "low_stock_count": low.filter(is_low_stock=True).count(),
            "transfers_in_transit": transfers.count(),
            "open_purchase_orders": orders.count(),
            "active_counts": counts.count(),
        }
        return Response(OverviewSerializer(data).data)


class StockSummaryQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1)
    search = serializers.CharField(required=False, max_length=100)
    low_stock = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="only variants low at some location (true) or at none (false)",
    )


class StockSummaryLocationSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    location_code = serializers.CharField()
    on_hand = serializers.DecimalField(**QTY)
    reserved = serializers.DecimalField(**QTY)
    available = serializers.DecimalField(**QTY)
    threshold = serializers.DecimalField(**QTY)
    is_low_stock = serializers.BooleanField()
    avg_unit_cost = serializers.DecimalField(max_digits=14, decimal_places=4)
    value = serializers.DecimalField(**MONEY)


class StockSummarySerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = serializers.DecimalField(**QTY)
    reserved = serializers.DecimalField(**QTY)
    available = serializers.DecimalField(**QTY)
    value = serializers.DecimalField(**MONEY)
    is_low_stock = serializers.BooleanField(help_text="low at one location or more")
    locations = StockSummaryLocationSerializer(many=True)


class StockSummaryApi(TenantListView):
    @extend_schema(
        operation_id="inventory_stock_summary",
        parameters=[StockSummaryQuerySerializer, FORMAT_PARAM],
        responses={200: StockSummarySerializer(many=True), **READ_ERRORS},
        summary="Per variant: totals and per-location breakdown (paginated; ?format=csv)",
    )
    def get(self, request):
        query = parse_query(StockSummaryQuerySerializer, request)
        scope = self.location_scope(query.get("location_id"))
        in_scope = Q() if scope is None else Q(inventory_items__location_id__in=scope)
        variants = (
            Variant.objects.filter(tenant=self.tenant, track_inventory=True)
            .select_related("product")
            .annotate(n_items=Count("inventory_items", filter=in_scope))
            .filter(n_items__gt=0)
        )
        if query.get("category"):
            variants = variants.filter(product__category_id=query["category"])
        if query.get("search"):
            term = query["search"]
            variants = variants.filter(
                Q(sku__icontains=term)
                | Q(barcode=term)
                | Q(product__name__icontains=term)
                | Q(name__icontains=term)
            )
        if query.get("low_stock") is not None:
            low_ids = (
                stock_level_list(
                    tenant=self.tenant, filters={"location_ids": scope} if scope else {}
                )
                .filter(is_low_stock=True)
                .values("variant_id")
            )
            variants = (
                variants.filter(pk__in=low_ids)
                if query["low_stock"]
                else variants.exclude(pk__in=low_ids)
            )
        variants = variants.order_by("sku", "pk")
        csv = wants_csv(request)

        def to_rows(page):
            filters = {"location_ids": scope} if scope is not None else {}
            by_variant = defaultdict(list)
            for item in stock_level_list(tenant=self.tenant, filters=filters).filter(
                variant_id__in=[v.pk for v in page]
            ):
                by_variant[item.variant_id].append(
                    {
                        "location_id": item.location_id,
                        "location_code": item.location.code,
                        "on_hand": item.on_hand,
                        "reserved": item.reserved,
                        "available": item.available_qty,
                        "threshold": item.threshold,
                        "is_low_stock": item.is_low_stock,
                        "avg_unit_cost": item.avg_unit_cost,
                        "value": money(item.on_hand * item.avg_unit_cost),
                    }
                )
            rows = []
            for variant in page:
                locations = by_variant.get(variant.pk, [])
                row = {
                    "variant_id": variant.pk,
                    "sku": variant.sku,
                    "name": variant.display_name,
                    "on_hand": sum((loc["on_hand"] for loc in locations), ZERO),
                    "reserved": sum((loc["reserved"] for loc in locations), ZERO),
                    "available": sum((loc["available"] for loc in locations), ZERO),
                    "value": sum((loc["value"] for loc in locations), ZERO),
                    "is_low_stock": any(loc["is_low_stock"] for loc in locations),
                    "locations": locations,
                }
                rows.append(row)
            data = StockSummarySerializer(rows, many=True).data
            if csv:  # one row per variant; per-location on hand as "CODE=qty" pairs
                return [
                    {
                        **{k: v for k, v in row.items() if k != "locations"},
                        "locations": "; ".join(
                            f"{loc['location_code']}={loc['on_hand']}" for loc in row["locations"]
                        ),
                    }
                    for row in data
                ]
            return data

        return list_response(self, variants, to_rows, filename="stock_summary.csv")
