"""Cycle counts API (SPEC §6): list/create, detail, scans, variance, finalize, cancel.

Reads VIEWER+; scans CASHIER+ (counting shelves is staff work); create,
finalize and cancel MANAGER+. Every call needs access to the count's location.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from storekeep.catalog.models import QTY
from storekeep.catalog.models import UNIT_MONEY as COST
from storekeep.core.api import (
    COMMAND_ERRORS,
    FORMAT_PARAM,
    IDEMPOTENCY_PARAM,
    READ_ERRORS,
    TenantListView,
    error_responses,
    parse_query,
)
from storekeep.core.csv import csv_download, list_response, wants_csv
from storekeep.core.idempotency import idempotent
from storekeep.core.serializers import DecimalField
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..models import CountSession
from ..selectors import count_get, count_line_get, count_list, count_variance
from ..services.counts import (
    count_cancel,
    count_create,
    count_finalize,
    count_record_scan,
)

MONEY = {"max_digits": 14, "decimal_places": 2}


class CountLineOutputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    expected_qty = DecimalField(**QTY)
    counted_qty = DecimalField(**QTY)
    variance = serializers.SerializerMethodField()
    scanned_at = serializers.DateTimeField()

    def get_variance(self, line) -> str:
        return str(line.counted_qty - line.expected_qty)


class CountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    location_id = serializers.IntegerField()
    scope = serializers.ChoiceField(choices=CountSession.Scope.choices)
    zone_name = serializers.CharField()
    status = serializers.ChoiceField(choices=CountSession.Status.choices)
    created_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    finalized_at = serializers.DateTimeField(allow_null=True)
    lines = CountLineOutputSerializer(many=True)


class CountCreateInputSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(min_value=1)
    scope = serializers.ChoiceField(
        choices=CountSession.Scope.choices, default=CountSession.Scope.FULL_STORE
    )
    zone_name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class CountScanInputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(required=False, min_value=1)
    barcode = serializers.CharField(required=False, max_length=64)
    counted_qty = DecimalField(**QTY, min_value=Decimal("0"))
    mode = serializers.ChoiceField(
        choices=["set", "add"],
        default="set",
        help_text="`set` replaces the counted quantity, `add` adds to it",
    )

    def validate(self, attrs):
        if ("variant_id" in attrs) == ("barcode" in attrs):
            raise serializers.ValidationError(
                {"variant_id": ["Give exactly one of variant_id or barcode."]}
            )
        return attrs


class CountListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CountSession.Status.choices, required=False)
    scope = serializers.ChoiceField(choices=CountSession.Scope.choices, required=False)
    location_id = serializers.IntegerField(required=False, min_value=1)


class VarianceLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    expected_qty = DecimalField(**QTY)
    counted_qty = DecimalField(**QTY)
    variance = DecimalField(**QTY)
    on_hand_now = DecimalField(**QTY)
    unit_cost = DecimalField(**COST)
    variance_value = DecimalField(**MONEY)


class VarianceTotalsSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    units_over = DecimalField(**QTY)
    units_short = DecimalField(**QTY)
    net_units = DecimalField(**QTY)
    net_value = DecimalField(**MONEY)


class VarianceOutputSerializer(serializers.Serializer):
    count_id = serializers.IntegerField()
    status = serializers.CharField()
    location_id = serializers.IntegerField()
    lines = VarianceLineSerializer(many=True)
    totals = VarianceTotalsSerializer()
    uncounted_items = serializers.IntegerField(
        help_text="FULL_STORE: stocked items not scanned (left unchanged)"
    )


class CountFinalizeOutputSerializer(CountOutputSerializer):
    ledger_rows = serializers.IntegerField(help_text="COUNT_RECONCILE rows written")


def _located_count(view, pk) -> CountSession:
    """The count named in the URL (id and location only), for a command; 404/403."""
    return view.resolve_object(CountSession.objects.only("pk", "location_id"), pk)


class CountListCreateApi(TenantListView):
    role_by_method = {"POST": Role.MANAGER}

    @extend_schema(
        operation_id="inventory_counts_list",
        parameters=[CountListQuerySerializer, FORMAT_PARAM],
        responses={200: CountOutputSerializer(many=True), **READ_ERRORS},
        summary="List cycle counts (paginated; ?format=csv)",
    )
    def get(self, request):
        query = parse_query(CountListQuerySerializer, request)
        scope = self.location_scope(query.pop("location_id", None))
        queryset = count_list(tenant=self.tenant, filters=query, location_ids=scope)
        return list_response(
            self,
            queryset,
            lambda objs: [CountOutputSerializer(c).data for c in objs],
            filename="counts.csv",
        )

    @extend_schema(
        operation_id="inventory_counts_create",
        request=CountCreateInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: CountOutputSerializer, **COMMAND_ERRORS},
        summary="Open a cycle count (a second active FULL_STORE count → 409 count_already_active)",
    )
    @idempotent
    def post(self, request):
        serializer = CountCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.check_location_access(data["location_id"])
        count = count_create(
            tenant=self.tenant,
            location_id=data["location_id"],
            scope=data["scope"],
            zone_name=data["zone_name"],
            actor=request.user,
        )
        return Response(
            CountOutputSerializer(count_get(tenant=self.tenant, count_id=count.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CountDetailApi(TenantAPIView):
    @extend_schema(
        operation_id="inventory_counts_retrieve",
        responses={200: CountOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        count = self.resolve_object(lambda pk: count_get(tenant=self.tenant, count_id=pk), pk)
        return Response(CountOutputSerializer(count).data)


class CountScanApi(TenantAPIView):
    write_role = Role.CASHIER

    @extend_schema(
        operation_id="inventory_counts_scan",
        request=CountScanInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: CountLineOutputSerializer, **COMMAND_ERRORS},
        summary="Record a scan (expected quantity snapshotted at a variant's first scan)",
    )
    @idempotent
    def post(self, request, pk: int):
        count = _located_count(self, pk)
        serializer = CountScanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line = count_record_scan(
            tenant=self.tenant,
            count_id=count.pk,
            counted_qty=data["counted_qty"],
            variant_id=data.get("variant_id"),
            barcode=data.get("barcode"),
            mode=data["mode"],
            actor=request.user,
        )
        line = count_line_get(tenant=self.tenant, line_id=line.pk)
        return Response(CountLineOutputSerializer(line).data)


class CountVarianceApi(TenantAPIView):
    renderer_classes = TenantListView.renderer_classes
    csv_columns = [
        "variant_id",
        "sku",
        "name",
        "expected_qty",
        "counted_qty",
        "variance",
        "on_hand_now",
        "unit_cost",
        "variance_value",
    ]

    @extend_schema(
        operation_id="inventory_counts_variance",
        parameters=[FORMAT_PARAM],
        responses={200: VarianceOutputSerializer, **error_responses(401, 403, 404)},
        summary="Preview expected vs counted with value (?format=csv for the lines)",
    )
    def get(self, request, pk: int):
        count = _located_count(self, pk)
        data = VarianceOutputSerializer(count_variance(tenant=self.tenant, count_id=count.pk)).data
        if wants_csv(request):
            return csv_download(data["lines"], f"count-{count.pk}-variance.csv")
        return Response(data)


class CountFinalizeApi(TenantAPIView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="inventory_counts_finalize",
        request=None,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: CountFinalizeOutputSerializer, **COMMAND_ERRORS},
        summary="Apply counted − expected as COUNT_RECONCILE rows; sets last_counted_at",
    )
    @idempotent
    def post(self, request, pk: int):
        count = _located_count(self, pk)
        _, rows = count_finalize(tenant=self.tenant, count_id=count.pk, actor=request.user)
        data = dict(CountOutputSerializer(count_get(tenant=self.tenant, count_id=count.pk)).data)
        data["ledger_rows"] = len(rows)
        return Response(data)


class CountCancelApi(TenantAPIView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="inventory_counts_cancel",
        request=None,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: CountOutputSerializer, **COMMAND_ERRORS},
        summary="Cancel an active count",
    )
    @idempotent
    def post(self, request, pk: int):
        count = _located_count(self, pk)
        count_cancel(tenant=self.tenant, count_id=count.pk, actor=request.user)
        return Response(
            CountOutputSerializer(count_get(tenant=self.tenant, count_id=count.pk)).data
        )


__all__ = [
    "CountCancelApi",
    "CountDetailApi",
    "CountFinalizeApi",
    "CountListCreateApi",
    "CountScanApi",
    "CountVarianceApi",
]
