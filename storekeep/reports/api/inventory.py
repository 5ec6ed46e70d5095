"""Inventory reports (SPEC §9): KPIs, movements per variant over a date range, valuation.

``GET /api/v1/inventory/overview`` — total_skus, total_qty, total_value
(Σ on hand × moving-average cost), low_stock_count, transfers_in_transit,
open_purchase_orders, active_counts; ``location_id`` filter (VIEWER+; routed
under ``/inventory/`` by ``inventory_urlpatterns``).
``GET /api/v1/reports/movements`` — per variant, from the ledger: opening
balance, purchases (RECEIPT + PURCHASE_ORDER_RECEIPT), sales (SALE +
RECIPE_CONSUMPTION + RESERVATION_CONFIRM, negative), returns, voids,
adjustments (ADJUSTMENT + COUNT_RECONCILE), transfers in/out, waste,
expired, net change (= Σ qty_delta in the range, = the sum of the columns)
and closing balance. Dates are inclusive, in the tenant's time zone.
``GET /api/v1/reports/valuation`` — per (location, variant) on hand ×
moving-average cost, with totals and per-location totals.
Both VIEWER+, paginated with a constant number of queries, ``?format=csv``.
"""

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from storekeep.catalog.models import QTY
from storekeep.core.api import FORMAT_PARAM, READ_ERRORS, TenantListView, parse_query
from storekeep.core.csv import list_response
from storekeep.core.pagination import requested_page
from storekeep.core.rows import plain_rows
from storekeep.core.serializers import DecimalField
from storekeep.inventory.rules import stock_value
from storekeep.reports.selectors import (
    MOVEMENT_COLUMNS,
    inventory_overview,
    movement_report,
    valuation_list,
)

MAX_RANGE_DAYS = 3660
MONEY = {"max_digits": 16, "decimal_places": 2}


class OverviewQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1, help_text="category id")
    search = serializers.CharField(
        required=False, max_length=100, help_text="SKU, barcode or product name (as the stock list)"
    )


class OverviewSerializer(serializers.Serializer):
    currency = serializers.CharField()
    location_id = serializers.IntegerField(allow_null=True)
    total_skus = serializers.IntegerField(help_text="distinct tracked variants with on hand ≠ 0")
    total_qty = DecimalField(**QTY)
    total_value = DecimalField(**MONEY, help_text="Σ on hand × moving-average unit cost")
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
        query = parse_query(OverviewQuerySerializer, request)
        scope = self.location_scope(query.get("location_id"))
        data = {
            "currency": self.tenant.currency,
            "location_id": query.get("location_id"),
            **inventory_overview(tenant=self.tenant, location_ids=scope, filters=query),
        }
        return Response(OverviewSerializer(data).data)


class MovementsQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    location_id = serializers.IntegerField(required=False, min_value=1)
    variant_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        if (attrs["date_to"] - attrs["date_from"]).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"date_to": [f"The range is limited to {MAX_RANGE_DAYS} days."]}
            )
        return attrs


class MovementRowSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    opening_balance = DecimalField(**QTY)
    purchases = DecimalField(**QTY)
    sales = DecimalField(**QTY, help_text="negative: stock out")
    returns = DecimalField(**QTY)
    voids = DecimalField(**QTY)
    adjustments = DecimalField(**QTY)
    transfers_in = DecimalField(**QTY)
    transfers_out = DecimalField(**QTY)
    waste = DecimalField(**QTY)
    expired = DecimalField(**QTY)
    net_change = DecimalField(**QTY, help_text="Σ ledger qty_delta in the range")
    closing_balance = DecimalField(**QTY)


def _movement_rows(rows) -> list[dict]:
    out = []
    for row in rows:
        name = row["variant__product__name"]
        if row["variant__name"]:
            name = f"{name} — {row['variant__name']}"
        data = {
            "variant_id": row["variant_id"],
            "sku": row["variant__sku"],
            "name": name,
            "opening_balance": row["opening_balance"],
            "net_change": row["net_change"],
            "closing_balance": row["opening_balance"] + row["net_change"],
        }
        data.update({column: row[column] for column in MOVEMENT_COLUMNS})
        out.append(data)
    return MovementRowSerializer(out, many=True).data


class MovementsReportApi(TenantListView):
    csv_columns = list(MovementRowSerializer().fields)

    @extend_schema(
        operation_id="reports_movements",
        parameters=[MovementsQuerySerializer, FORMAT_PARAM],
        responses={200: MovementRowSerializer(many=True), **READ_ERRORS},
        summary="Stock movements per variant over a date range (net change = ledger)",
    )
    def get(self, request):
        query = parse_query(MovementsQuerySerializer, request)
        queryset = movement_report(
            tenant=self.tenant,
            date_from=query["date_from"],
            date_to=query["date_to"],
            filters={key: query.get(key) for key in ("variant_id", "category")},
            location_ids=self.location_scope(query.get("location_id")),
        )
        name = f"movements_{query['date_from']}_{query['date_to']}.csv"
        page = requested_page(self.paginator, request)
        if page is not None:
            queryset.expect(page)  # the page and the count in one query
        return list_response(
            self,
            queryset,
            _movement_rows,
            filename=name,
            extra={"date_from": str(query["date_from"]), "date_to": str(query["date_to"])},
        )


class ValuationQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1)
    include_zero = serializers.BooleanField(
        required=False, default=False, help_text="include items with no stock"
    )


class ValuationRowSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    location_code = serializers.CharField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = DecimalField(**QTY)
    avg_unit_cost = DecimalField(max_digits=14, decimal_places=4)
    value = DecimalField(max_digits=16, decimal_places=2)


class ValuationTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total_qty = DecimalField(max_digits=16, decimal_places=3)
    total_value = DecimalField(max_digits=16, decimal_places=2)
    by_location = serializers.ListField(child=serializers.DictField())


class ValuationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ValuationRowSerializer(many=True)
    totals = ValuationTotalsSerializer()


VALUATION_FIELDS = (
    "location_id",
    "location__code",
    "variant_id",
    "variant__sku",
    "variant__name",
    "variant__product__name",
    "on_hand",
    "avg_unit_cost",
)


def valuation_row(item: tuple) -> dict:
    """A :class:`ValuationRowSerializer` row from a ``values_list(*VALUATION_FIELDS)`` tuple."""
    location_id, code, variant_id, sku, name, product_name, on_hand, cost = item
    return {
        "location_id": location_id,
        "location_code": code,
        "variant_id": variant_id,
        "sku": sku,
        "name": f"{product_name} — {name}" if name else product_name,  # Variant.display_name
        "on_hand": on_hand,
        "avg_unit_cost": cost,
        "value": stock_value(on_hand, cost),
    }


class ValuationReportApi(TenantListView):
    csv_columns = list(ValuationRowSerializer().fields)

    @extend_schema(
        operation_id="reports_valuation",
        parameters=[ValuationQuerySerializer, FORMAT_PARAM],
        responses={200: ValuationPageSerializer, **READ_ERRORS},
        summary="Stock value per location and variant (on hand × moving-average cost), with totals",
    )
    def get(self, request):
        query = parse_query(ValuationQuerySerializer, request)
        rows, totals = valuation_list(
            tenant=self.tenant,
            filters={"category": query.get("category")},
            location_ids=self.location_scope(query.get("location_id")),
            include_zero=query.get("include_zero", False),
        )

        def to_rows(page):
            return plain_rows(ValuationRowSerializer, [valuation_row(item) for item in page])

        extra = {
            "totals": ValuationTotalsSerializer({"currency": self.tenant.currency, **totals}).data
        }
        rows = rows.values_list(*VALUATION_FIELDS)  # no model instances
        return list_response(self, rows, to_rows, filename="valuation.csv", extra=extra)


urlpatterns = [
    path("movements", MovementsReportApi.as_view(), name="reports-movements"),
    path("valuation", ValuationReportApi.as_view(), name="reports-valuation"),
]

inventory_urlpatterns = [
    re_path(r"^overview/?$", InventoryOverviewApi.as_view(), name="inventory-overview"),
]

__all__ = [
    "InventoryOverviewApi",
    "MovementsReportApi",
    "ValuationReportApi",
    "inventory_urlpatterns",
    "urlpatterns",
]
