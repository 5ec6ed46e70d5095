"""Purchasing API (SPEC §6): vendors, vendor-variant links, purchase orders.

Reads VIEWER+, writes MANAGER+. Orders: list/create, detail/PATCH (DRAFT
only), submit, receive (partial, lots/expiry, cost), cancel, and
``from_suggestions`` (one DRAFT per vendor and location from the reorder
suggestions). Orders need access to their location.
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
from storekeep.core.csv import list_response
from storekeep.core.filters import StableOrderingFilter
from storekeep.core.idempotency import idempotent
from storekeep.core.serializers import (
    DecimalField,
    TenantModelSerializer,
    TenantPrimaryKeyRelatedField,
    crud_schema,
)
from storekeep.core.views import TenantAPIView, TenantModelViewSet
from storekeep.tenants.models import Role

from .filters import REORDER_ORDERING
from .models import PurchaseOrder, Vendor, VendorVariant
from .selectors import (
    purchase_order_get,
    purchase_order_list,
    purchase_orders_by_id,
    reorder_suggestion_list,
    vendor_names,
)
from .services import (
    OrderLineInput,
    ReceiveLineInput,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_submit,
    purchase_order_update,
    purchase_orders_from_suggestions,
)


class VendorSerializer(TenantModelSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "code",
            "email",
            "phone",
            "lead_time_days",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class VendorVariantSerializer(TenantModelSerializer):
    vendor_id = TenantPrimaryKeyRelatedField(Vendor, source="vendor")
    variant_id = TenantPrimaryKeyRelatedField(
        VendorVariant._meta.get_field("variant").related_model, source="variant"
    )
    unit_cost = DecimalField(**COST, min_value=Decimal("0"), required=False)

    class Meta:
        model = VendorVariant
        fields = [
            "id",
            "vendor_id",
            "variant_id",
            "vendor_sku",
            "unit_cost",
            "is_preferred",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


@crud_schema(VendorSerializer, "vendor")
class VendorViewSet(TenantModelViewSet):
    queryset = Vendor.objects.order_by("name", "pk")
    serializer_class = VendorSerializer
    csv_filename = "vendors.csv"
    filterset_fields = ["is_active"]
    search_fields = ["name", "code", "email"]
    ordering_fields = ["name", "created_at", "lead_time_days"]

    def perform_destroy(self, instance):
        from storekeep.core.serializers import destroy_or_conflict

        destroy_or_conflict(instance)


@crud_schema(VendorVariantSerializer, "vendor variant")
class VendorVariantViewSet(TenantModelViewSet):
    queryset = VendorVariant.objects.order_by("vendor_id", "variant_id", "pk")
    serializer_class = VendorVariantSerializer
    csv_filename = "vendor_variants.csv"
    filterset_fields = ["vendor", "variant", "is_preferred"]


class OrderLineOutputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    qty_ordered = DecimalField(**QTY)
    qty_received = DecimalField(**QTY)
    qty_remaining = serializers.SerializerMethodField()
    unit_cost = DecimalField(**COST)
    line_total = serializers.SerializerMethodField()

    def get_qty_remaining(self, line) -> str:
        return str(max(line.qty_ordered - line.qty_received, Decimal("0")))

    def get_line_total(self, line) -> str:
        return str((line.qty_ordered * line.unit_cost).quantize(Decimal("0.01")))


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vendor_id = serializers.IntegerField()
    vendor_name = serializers.CharField(source="vendor.name")
    location_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PurchaseOrder.Status.choices)
    note = serializers.CharField()
    expected_at = serializers.DateField(allow_null=True)
    created_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    total = serializers.SerializerMethodField()
    lines = OrderLineOutputSerializer(many=True)

    def get_total(self, order) -> str:
        total = sum((line.qty_ordered * line.unit_cost for line in order.lines.all()), Decimal("0"))
        return str(total.quantize(Decimal("0.01")))


class OrderLineInputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1)
    qty_ordered = DecimalField(**QTY, min_value=Decimal("0"))
    unit_cost = DecimalField(**COST, min_value=Decimal("0"), required=False, allow_null=True)


class OrderCreateInputSerializer(serializers.Serializer):
    vendor_id = serializers.IntegerField(min_value=1)
    location_id = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_at = serializers.DateField(required=False, allow_null=True, default=None)
    lines = OrderLineInputSerializer(many=True, allow_empty=False)


class OrderUpdateInputSerializer(serializers.Serializer):
    vendor_id = serializers.IntegerField(min_value=1, required=False)
    location_id = serializers.IntegerField(min_value=1, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    expected_at = serializers.DateField(required=False, allow_null=True)
    lines = OrderLineInputSerializer(many=True, allow_empty=False, required=False)


class OrderReceiveLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1)
    qty = DecimalField(**QTY, min_value=Decimal("0"))
    unit_cost = DecimalField(**COST, min_value=Decimal("0"), required=False, allow_null=True)
    lot_code = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=64
    )
    expiry_date = serializers.DateField(required=False, allow_null=True)


class OrderReceiveInputSerializer(serializers.Serializer):
    lines = OrderReceiveLineSerializer(many=True, allow_empty=False)


class OrderListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PurchaseOrder.Status.choices, required=False)
    vendor_id = serializers.IntegerField(required=False, min_value=1)
    location_id = serializers.IntegerField(required=False, min_value=1)


class FromSuggestionsInputSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1)
    vendor_id = serializers.IntegerField(required=False, min_value=1)
    variant_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=1000,
    )


class SkippedSuggestionSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    suggested_qty = DecimalField(**QTY)


class FromSuggestionsOutputSerializer(serializers.Serializer):
    orders = OrderOutputSerializer(many=True)
    skipped = SkippedSuggestionSerializer(many=True, help_text="suggestions without a vendor")


def _render(tenant, order_id) -> dict:
    return OrderOutputSerializer(purchase_order_get(tenant=tenant, order_id=order_id)).data


def _located_order(view, pk) -> PurchaseOrder:
    """The order named in the URL (id and location only); 404 / 403."""
    return view.resolve_object(PurchaseOrder.objects.only("pk", "location_id"), pk)


class OrderListCreateApi(TenantListView):
    role_by_method = {"POST": Role.MANAGER}

    @extend_schema(
        operation_id="purchasing_orders_list",
        parameters=[OrderListQuerySerializer, FORMAT_PARAM],
        responses={200: OrderOutputSerializer(many=True), **READ_ERRORS},
        summary="List purchase orders (paginated; ?format=csv)",
    )
    def get(self, request):
        query = parse_query(OrderListQuerySerializer, request)
        scope = self.location_scope(query.pop("location_id", None))
        queryset = purchase_order_list(tenant=self.tenant, filters=query, location_ids=scope)
        return list_response(
            self,
            queryset,
            lambda objs: OrderOutputSerializer(objs, many=True).data,
            filename="purchase_orders.csv",
        )

    @extend_schema(
        operation_id="purchasing_orders_create",
        request=OrderCreateInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: OrderOutputSerializer, **COMMAND_ERRORS},
        summary="Draft a purchase order",
    )
    @idempotent
    def post(self, request):
        serializer = OrderCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.check_location_access(data["location_id"])
        order = purchase_order_create(
            tenant=self.tenant,
            vendor_id=data["vendor_id"],
            location_id=data["location_id"],
            lines=[OrderLineInput(**line) for line in data["lines"]],
            note=data["note"],
            expected_at=data["expected_at"],
            actor=request.user,
        )
        return Response(_render(self.tenant, order.pk), status=status.HTTP_201_CREATED)


class OrderDetailApi(TenantAPIView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="purchasing_orders_retrieve",
        responses={200: OrderOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        order = _located_order(self, pk)
        return Response(_render(self.tenant, order.pk))

    @extend_schema(
        operation_id="purchasing_orders_update",
        request=OrderUpdateInputSerializer,
        responses={200: OrderOutputSerializer, **COMMAND_ERRORS},
        summary="Edit a DRAFT order (lines replace all lines); submitted → 409 po_not_editable",
    )
    def patch(self, request, pk):
        order = _located_order(self, pk)
        serializer = OrderUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "location_id" in data:
            self.check_location_access(data["location_id"])
        purchase_order_update(
            tenant=self.tenant,
            order_id=order.pk,
            vendor_id=data.get("vendor_id"),
            location_id=data.get("location_id"),
            note=data.get("note"),
            expected_at=data["expected_at"] if "expected_at" in data else ...,
            lines=[OrderLineInput(**line) for line in data["lines"]] if "lines" in data else None,
        )
        return Response(_render(self.tenant, order.pk))


class OrderSubmitApi(TenantAPIView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="purchasing_orders_submit",
        request=None,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: OrderOutputSerializer, **COMMAND_ERRORS},
        summary="Submit a DRAFT order",
    )
    @idempotent
    def post(self, request, pk):
        order = _located_order(self, pk)
        purchase_order_submit(tenant=self.tenant, order_id=order.pk, actor=request.user)
        return Response(_render(self.tenant, order.pk))


class OrderReceiveApi(TenantAPIView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="purchasing_orders_receive",
        request=OrderReceiveInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: OrderOutputSerializer, **COMMAND_ERRORS},
        summary="Receive a delivery (partial allowed; PURCHASE_ORDER_RECEIPT rows; cost updated)",
    )
    @idempotent
    def post(self, request, pk):
        order = _located_order(self, pk)
        serializer = OrderReceiveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lines = [
            ReceiveLineInput(
                variant_id=line["variant_id"],
                qty=line["qty"],
                unit_cost=line.get("unit_cost"),
                lot_code=line.get("lot_code"),
                expiry_date=line.get("expiry_date"),
            )
            for line in serializer.validated_data["lines"]
        ]
        purchase_order_receive(
            tenant=self.tenant, order_id=order.pk, lines=lines, actor=request.user
        )
        return Response(_render(self.tenant, order.pk))


class OrderCancelApi(TenantAPIView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="purchasing_orders_cancel",
        request=None,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: OrderOutputSerializer, **COMMAND_ERRORS},
        summary="Cancel an open order",
    )
    @idempotent
    def post(self, request, pk):
        order = _located_order(self, pk)
        purchase_order_cancel(tenant=self.tenant, order_id=order.pk, actor=request.user)
        return Response(_render(self.tenant, order.pk))


class OrdersFromSuggestionsApi(TenantListView):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="purchasing_orders_from_suggestions",
        request=FromSuggestionsInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: FromSuggestionsOutputSerializer, **COMMAND_ERRORS},
        summary="Draft one purchase order per vendor and location from the reorder suggestions",
    )
    @idempotent
    def post(self, request):
        serializer = FromSuggestionsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["location_ids"] = self.location_scope(data.pop("location_id", None))
        result = purchase_orders_from_suggestions(
            tenant=self.tenant, filters=data, actor=request.user
        )
        orders = purchase_orders_by_id(
            tenant=self.tenant, order_ids=[o.pk for o in result["orders"]]
        )
        return Response(
            FromSuggestionsOutputSerializer({"orders": orders, "skipped": result["skipped"]}).data,
            status=status.HTTP_201_CREATED,
        )


# --- reorder suggestions (served under /api/v1/inventory/) ------------------------------


class ReorderQuerySerializer(serializers.Serializer):
    location_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1, help_text="category id")
    vendor_id = serializers.IntegerField(required=False, min_value=1)
    search = serializers.CharField(required=False, max_length=100)
    ordering = serializers.ChoiceField(
        choices=StableOrderingFilter.choices_of(REORDER_ORDERING),
        required=False,
        help_text="sort by this column (`-` for descending; ties by id); default location, SKU",
    )


class ReorderSuggestionSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    location_code = serializers.CharField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    on_hand = DecimalField(**QTY)
    reserved = DecimalField(**QTY)
    available = DecimalField(**QTY)
    threshold = DecimalField(**QTY)
    is_low_stock = serializers.BooleanField()
    reorder_qty = DecimalField(**QTY, allow_null=True)
    open_po_qty = DecimalField(**QTY)
    suggested_qty = DecimalField(**QTY)
    vendor_id = serializers.IntegerField(allow_null=True)
    vendor_name = serializers.CharField(allow_null=True)
    unit_cost = DecimalField(**COST, allow_null=True)


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
