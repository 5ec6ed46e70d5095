"""Inventory reports (SPEC §9): movements per variant over a date range, and valuation.

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

from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from storekeep.catalog.models import QTY
from storekeep.inventory.api._shared import FORMAT_PARAM, READ_ERRORS, TenantListView, parse_query
from storekeep.inventory.api.reorder import day_bounds
from storekeep.inventory.models import InventoryItem, LedgerRefType, StockLedger
from storekeep.reports.csv import list_response

ZERO = Decimal("0")
MONEY_STEP = Decimal("0.01")
QTY_FIELD = DecimalField(max_digits=16, decimal_places=3)
VALUE_FIELD = DecimalField(max_digits=28, decimal_places=7)
MAX_RANGE_DAYS = 3660

R = LedgerRefType
MOVEMENT_COLUMNS = {
    "purchases": [R.RECEIPT, R.PURCHASE_ORDER_RECEIPT],
    "sales": [R.SALE, R.RECIPE_CONSUMPTION, R.RESERVATION_CONFIRM],
    "returns": [R.RETURN],
    "voids": [R.VOID],
    "adjustments": [R.ADJUSTMENT, R.COUNT_RECONCILE],
    "transfers_in": [R.TRANSFER_IN],
    "transfers_out": [R.TRANSFER_OUT],
    "waste": [R.WASTE],
    "expired": [R.EXPIRY],
}


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
    opening_balance = serializers.DecimalField(**QTY)
    purchases = serializers.DecimalField(**QTY)
    sales = serializers.DecimalField(**QTY, help_text="negative: stock out")
    returns = serializers.DecimalField(**QTY)
    voids = serializers.DecimalField(**QTY)
    adjustments = serializers.DecimalField(**QTY)
    transfers_in = serializers.DecimalField(**QTY)
    transfers_out = serializers.DecimalField(**QTY)
    waste = serializers.DecimalField(**QTY)
    expired = serializers.DecimalField(**QTY)
    net_change = serializers.DecimalField(**QTY, help_text="Σ ledger qty_delta in the range")
    closing_balance = serializers.DecimalField(**QTY)


def _qty_sum(condition: Q):
    return Coalesce(
        Sum(
            Case(When(condition, then=F("qty_delta")), default=Value(ZERO), output_field=QTY_FIELD)
        ),
        Value(ZERO),
        output_field=QTY_FIELD,
    )


def movements_queryset(*, tenant, start, end, location_ids=None, variant_id=None, category=None):
    """One aggregate row per variant that moved in [start, end): the MOVEMENT_COLUMNS sums,
    opening balance (Σ before start), net change; ordered by SKU. SPEC §9."""
    ledger = StockLedger.objects.filter(tenant=tenant, created_at__lt=end)
    if location_ids is not None:
        ledger = ledger.filter(location_id__in=location_ids)
    if variant_id:
        ledger = ledger.filter(variant_id=variant_id)
    if category:
        ledger = ledger.filter(variant__product__category_id=category)
    in_range = Q(created_at__gte=start)
    sums = {
        name: _qty_sum(in_range & Q(ref_type__in=types)) for name, types in MOVEMENT_COLUMNS.items()
    }
    return (
        ledger.values("variant_id", "variant__sku", "variant__name", "variant__product__name")
        .annotate(
            moves=Count("pk", filter=in_range),
            opening_balance=_qty_sum(Q(created_at__lt=start)),
            net_change=_qty_sum(in_range),
            **sums,
        )
        .filter(moves__gt=0)
        .order_by("variant__sku", "variant_id")
    )


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
        start, end = day_bounds(self.tenant, query["date_from"], query["date_to"])
        queryset = movements_queryset(
            tenant=self.tenant,
            start=start,
            end=end,
            location_ids=self.location_scope(query.get("location_id")),
            variant_id=query.get("variant_id"),
            category=query.get("category"),
        )
        name = f"movements_{query['date_from']}_{query['date_to']}.csv"
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
    on_hand = serializers.DecimalField(**QTY)
    avg_unit_cost = serializers.DecimalField(max_digits=14, decimal_places=4)
    value = serializers.DecimalField(max_digits=16, decimal_places=2)


class ValuationTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    total_qty = serializers.DecimalField(max_digits=16, decimal_places=3)
    total_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    by_location = serializers.ListField(child=serializers.DictField())


class ValuationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ValuationRowSerializer(many=True)
    totals = ValuationTotalsSerializer()


def _money(value) -> Decimal:
    return (value or ZERO).quantize(MONEY_STEP)


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
        scope = self.location_scope(query.get("location_id"))
        items = InventoryItem.objects.filter(tenant=self.tenant, variant__track_inventory=True)
        if scope is not None:
            items = items.filter(location_id__in=scope)
        if query.get("category"):
            items = items.filter(variant__product__category_id=query["category"])
        if not query.get("include_zero"):
            items = items.exclude(on_hand=0)
        value = F("on_hand") * F("avg_unit_cost")
        totals = items.aggregate(
            total_qty=Sum("on_hand"), total_value=Sum(value, output_field=VALUE_FIELD)
        )
        by_location = [
            {
                "location_id": row["location_id"],
                "location_code": row["location__code"],
                "total_qty": str(row["qty"]),
                "total_value": str(_money(row["value"])),
            }
            for row in items.values("location_id", "location__code")
            .annotate(qty=Sum("on_hand"), value=Sum(value, output_field=VALUE_FIELD))
            .order_by("location__code")
        ]
        rows = items.select_related("location", "variant__product").order_by(
            "location__code", "variant__sku", "pk"
        )

        def to_rows(page):
            return ValuationRowSerializer(
                [
                    {
                        "location_id": i.location_id,
                        "location_code": i.location.code,
                        "variant_id": i.variant_id,
                        "sku": i.variant.sku,
                        "name": i.variant.display_name,
                        "on_hand": i.on_hand,
                        "avg_unit_cost": i.avg_unit_cost,
                        "value": _money(i.on_hand * i.avg_unit_cost),
                    }
                    for i in page
                ],
                many=True,
            ).data

        extra = {
            "totals": ValuationTotalsSerializer(
                {
                    "currency": self.tenant.currency,
                    "total_qty": totals["total_qty"] or ZERO,
                    "total_value": _money(totals["total_value"]),
                    "by_location": by_location,
                }
            ).data
        }
        return list_response(self, rows, to_rows, filename="valuation.csv", extra=extra)


urlpatterns = [
    path("movements", MovementsReportApi.as_view(), name="reports-movements"),
    path("valuation", ValuationReportApi.as_view(), name="reports-valuation"),
]

__all__ = ["MovementsReportApi", "ValuationReportApi", "urlpatterns"]
