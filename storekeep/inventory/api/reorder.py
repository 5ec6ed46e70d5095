"""Low-stock alerts API (SPEC §4): ``GET /api/v1/inventory/low-stock-alerts`` (VIEWER+;
filters location_id, variant_id, date_from, date_to, acknowledged; ``?format=csv``) and
``POST …/{id}/acknowledge``. Reorder suggestions (they read purchase orders and vendors)
are served by the purchasing API under the same ``/inventory/`` path.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from storekeep.catalog.models import QTY
from storekeep.core.api import (
    FORMAT_PARAM,
    READ_ERRORS,
    TenantListView,
    error_responses,
    parse_query,
)
from storekeep.core.csv import list_response
from storekeep.core.serializers import DecimalField
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..models import LowStockAlert
from ..selectors import low_stock_alert_list
from ..services.low_stock import low_stock_alert_acknowledge


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
    available = DecimalField(**QTY, help_text="available right after the crossing")
    threshold = DecimalField(**QTY)
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
        responses={200: LowStockAlertSerializer, **error_responses(401, 403, 404)},
        summary="Acknowledge a low-stock alert",
    )
    def post(self, request, pk):
        alert = self.resolve_object(LowStockAlert.objects.select_related("location", "variant"), pk)
        alert = low_stock_alert_acknowledge(tenant=self.tenant, alert=alert)
        return Response(LowStockAlertSerializer(alert).data)
