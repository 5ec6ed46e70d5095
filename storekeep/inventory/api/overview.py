"""Inventory stock summary (SPEC §9).

``GET /api/v1/inventory/stock_summary`` — per variant: on hand, reserved,
available and value in total and per location (with threshold and
is_low_stock); paginated, ``?format=csv``. VIEWER+; a member restricted to
some locations sees only those (403 when asking for another).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from storekeep.catalog.models import QTY
from storekeep.core.api import FORMAT_PARAM, READ_ERRORS, TenantListView, parse_query
from storekeep.core.csv import list_response, wants_csv
from storekeep.core.rows import plain_rows
from storekeep.core.serializers import DecimalField

from ..selectors import stock_summary_list, stock_summary_rows

MONEY = {"max_digits": 16, "decimal_places": 2}


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
    on_hand = DecimalField(**QTY)
    reserved = DecimalField(**QTY)
    available = DecimalField(**QTY)
    threshold = DecimalField(**QTY)
    is_low_stock = serializers.BooleanField()
    avg_unit_cost = DecimalField(max_digits=14, decimal_places=4)
    value = DecimalField(**MONEY)


class StockSummarySerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = DecimalField(**QTY)
    reserved = DecimalField(**QTY)
    available = DecimalField(**QTY)
    value = DecimalField(**MONEY)
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
        scope = self.location_scope(query.pop("location_id", None))
        variants = stock_summary_list(tenant=self.tenant, filters=query, location_ids=scope)
        csv = wants_csv(request)

        def to_rows(page):
            rows = stock_summary_rows(tenant=self.tenant, variants=page, location_ids=scope)
            data = plain_rows(StockSummarySerializer, rows)
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
