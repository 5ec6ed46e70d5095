"""Reorder suggestions and low-stock alerts API (SPEC §4, §6).

``GET /api/v1/inventory/reorder_suggestions`` (VIEWER+; filters location_id,
category, vendor_id, search; ``?format=csv``) and
``GET /api/v1/inventory/low-stock-alerts`` (VIEWER+; filters location_id,
variant_id, date_from, date_to, acknowledged). Drafting purchase orders from
the suggestions lives in the purchasing API (``orders/from_suggestions``).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from storekeep.catalog.models import QTY
from storekeep.catalog.models import UNIT_MONEY as COST
from storekeep.core.views import TenantAPIView
from storekeep.purchasing.selectors import reorder_suggestion_list, vendor_names
from storekeep.reports.csv import list_response
from storekeep.tenants.models import Role

from ..models import LowStockAlert
from ..selectors import low_stock_alert_list
from ..services.low_stock import low_stock_alert_acknowledge
from ._shared import FORMAT_PARAM, READ_ERRORS, TenantListView, errors, parse_query


class ReorderQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1, help_text="category id")
    vendor_id = serializers.IntegerField(required=False, min_value=1)
    search = serializers.CharField(required=False, max_length=100)


class ReorderSuggestionSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    location_code = serializers.CharField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = serializers.DecimalField(**QTY)
    reserved = serializers.DecimalField(**QTY)
    available = serializers.DecimalField(**QTY)
    threshold = serializers.DecimalField(**QTY)
    is_low_stock = serializers.BooleanField()
    reorder_qty = serializers.DecimalField(**QTY, allow_null=True)
    open_po_qty = serializers.DecimalField(**QTY)
    suggested_qty = serializers.DecimalField(**QTY)
    vendor_id = serializers.IntegerField(allow_null=True)
    vendor_name = serializers.CharField(allow_null=True)
    unit_cost = serializers.DecimalField(**COST, allow_null=True)


def suggestion_rows(tenant, items) -> list[dict]:
    """Serialize a page of suggestion items (one extra query for vendor names)."""
    vendors = vendor_names(tenant=tenant, vendor_ids=[i.vendor_id_eff for i in items])
    rows = []
    for item in items:
        rows.append(
            {
                "location_id": item.location_id,
                "location_code": item.location.code,
                "variant_id": item.variant_id,
                "sku": item.variant.sku,
                "name": item.variant.display_name,
                "on_hand": item.on_hand,
                "reserved": item.reserved,
                "available": item.available_qty,
                "threshold": item.threshold,
                "is_low_stock": item.is_low_stock,
                "reorder_qty": item.reorder_qty_eff,
                "open_po_qty": item.open_po_qty,
                "suggested_qty": item.suggested_qty,
                "vendor_id": item.vendor_id_eff,
                "vendor_name": vendors.get(item.vendor_id_eff),
                "unit_cost": item.vendor_unit_cost
                if item.vendor_unit_cost is not None
                else item.variant.cost,
            }
        )
    return ReorderSuggestionSerializer(rows, many=True).data


class ReorderSuggestionListApi(TenantListView):
    csv_columns = list(ReorderSuggestionSerializer().fields)

    @extend_schema(
        operation_id="inventory_reorder_suggestions",
        parameters=[ReorderQuerySerializer, FORMAT_PARAM],
        responses={200: ReorderSuggestionSerializer(many=True), **READ_ERRORS},
        summary="Items at or under their threshold with the quantity to order, net of open POs",
    )
    def get(self, request):
        query = parse_query(ReorderQuerySerializer, request)
        scope = self.location_scope(query.pop("location_id", None))
        queryset = reorder_suggestion_list(tenant=self.tenant, filters=query, location_ids=scope)
        return list_response(
            self,
            queryset,
            lambda items: suggestion_rows(self.tenant, items),
            filename="reorder_suggestions.csv",
        )


class LowStockAlertQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    variant_id = serializers.IntegerField(required=False, min_value=1)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_from"] > attrs["date_to"]
        ):
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs


class LowStockAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    location_id = serializers.IntegerField()
    location_code = serializers.CharField(source="location.code")
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    available = serializers.DecimalField(**QTY, help_text="available right after the crossing")
    threshold = serializers.DecimalField(**QTY)
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class LowStockAlertListApi(TenantListView):
    csv_columns = list(LowStockAlertSerializer().fields)

    @extend_schema(
        operation_id="inventory_low_stock_alerts",
        parameters=[LowStockAlertQuerySerializer, FORMAT_PARAM],
        responses={200: LowStockAlertSerializer(many=True), **READ_ERRORS},
        summary="Low-stock alerts, one per downward crossing of the threshold (newest first)",
    )
    def get(self, request):
        query = parse_query(LowStockAlertQuerySerializer, request)
        scope = self.location_scope(query.pop("location_id", None))
        queryset = low_stock_alert_list(tenant=self.tenant, filters=query, location_ids=scope)
        return list_response(
            self,
            queryset,
            lambda objs: LowStockAlertSerializer(objs, many=True).data,
            filename="low_stock_alerts.csv",
        )


class LowStockAlertAcknowledgeApi(TenantAPIView):
    """``POST /api/v1/inventory/low-stock-alerts/{id}/acknowledge`` (CASHIER+): mark an alert seen.

    Acknowledging twice keeps the first time (idempotent by nature). 404 for
    another tenant's alert, 403 for a location the member is not assigned to.
    """

    write_role = Role.CASHIER

    @extend_schema(
        operation_id="inventory_low_stock_alerts_acknowledge",
        request=None,
        responses={200: LowStockAlertSerializer, **errors(401, 403, 404)},
        summary="Acknowledge a low-stock alert",
    )
    def post(self, request, pk):
        alert = self.resolve_object(LowStockAlert.objects.select_related("location", "variant"), pk)
        alert = low_stock_alert_acknowledge(tenant=self.tenant, alert=alert)
        return Response(LowStockAlertSerializer(alert).data)
