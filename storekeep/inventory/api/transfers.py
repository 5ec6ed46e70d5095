"""Transfers API (SPEC §6): list/create, detail, send, receive, cancel.

Reads VIEWER+, commands MANAGER+ except ``receive`` (CASHIER+: staff at the
destination take deliveries). Create/send/cancel need access to the source
location, receive to the destination; a restricted member only sees
transfers touching their locations.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from storekeep.catalog.models import QTY
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
from storekeep.core.idempotency import idempotent
from storekeep.core.serializers import DecimalField
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..models import InventoryTransfer
from ..selectors import transfer_get, transfer_list
from ..services.transfers import (
    TransferLineInput,
    TransferReceiveLine,
    transfer_cancel,
    transfer_create,
    transfer_receive,
    transfer_send,
)


class TransferLineOutputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    qty = DecimalField(**QTY)
    qty_sent = DecimalField(**QTY)
    qty_received = DecimalField(**QTY)
    qty_remaining = DecimalField(**QTY)


class TransferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_location_id = serializers.IntegerField()
    to_location_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=InventoryTransfer.Status.choices)
    note = serializers.CharField()
    created_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    lines = TransferLineOutputSerializer(many=True)


class TransferCreateLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1)
    qty = DecimalField(**QTY, min_value=Decimal("0"))


class TransferCreateInputSerializer(serializers.Serializer):
    from_location_id = serializers.IntegerField(min_value=1)
    to_location_id = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    lines = TransferCreateLineSerializer(many=True, allow_empty=False)


class TransferReceiveLineSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField(min_value=1)
    qty_receive = DecimalField(**QTY, min_value=Decimal("0"))


class TransferReceiveInputSerializer(serializers.Serializer):
    lines = TransferReceiveLineSerializer(many=True, allow_empty=False)


class TransferListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InventoryTransfer.Status.choices, required=False)
    location_id = serializers.IntegerField(
        required=False, min_value=1, help_text="source or destination"
    )
    from_location_id = serializers.IntegerField(required=False, min_value=1)
    to_location_id = serializers.IntegerField(required=False, min_value=1)


def _render(tenant, transfer_id) -> dict:
    return TransferOutputSerializer(transfer_get(tenant=tenant, transfer_id=transfer_id)).data


class TransferListCreateApi(TenantListView):
    role_by_method = {"POST": Role.MANAGER}

    @extend_schema(
        operation_id="inventory_transfers_list",
        parameters=[TransferListQuerySerializer, FORMAT_PARAM],
        responses={200: TransferOutputSerializer(many=True), **READ_ERRORS},
        summary="List transfers (paginated; ?format=csv)",
    )
    def get(self, request):
        query = parse_query(TransferListQuerySerializer, request)
        if query.get("location_id"):
            self.check_location_access(query["location_id"])
        allowed = self.membership.allowed_location_ids()
        queryset = transfer_list(
            tenant=self.tenant,
            filters=query,
            location_ids=sorted(allowed) if allowed is not None else None,
        )
        return list_response(
            self,
            queryset,
            lambda objs: [TransferOutputSerializer(t).data for t in objs],
            filename="transfers.csv",
        )

    @extend_schema(
        operation_id="inventory_transfers_create",
        request=TransferCreateInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: TransferOutputSerializer, **COMMAND_ERRORS},
        summary="Create a DRAFT transfer",
    )
    @idempotent
    def post(self, request):
        serializer = TransferCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.check_location_access(data["from_location_id"])
        transfer = transfer_create(
            tenant=self.tenant,
            from_location_id=data["from_location_id"],
            to_location_id=data["to_location_id"],
            lines=[
                TransferLineInput(variant_id=line["variant_id"], qty=line["qty"])
                for line in data["lines"]
            ],
            note=data["note"],
            actor=request.user,
        )
        return Response(_render(self.tenant, transfer.pk), status=status.HTTP_201_CREATED)


class TransferDetailApi(TenantAPIView):
    @extend_schema(
        operation_id="inventory_transfers_retrieve",
        responses={200: TransferOutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        transfer = self.resolve_object(
            lambda pk: transfer_get(tenant=self.tenant, transfer_id=pk),
            pk,
            location_fields=("from_location_id", "to_location_id"),
            match="any",
        )
        return Response(TransferOutputSerializer(transfer).data)


class _TransferCommand(TenantAPIView):
    location_attr = "from_location_id"

    def locate(self, pk) -> InventoryTransfer:
        return self.resolve_object(
            InventoryTransfer.objects.only("pk", "from_location_id", "to_location_id"),
            pk,
            location_fields=(self.location_attr,),
        )


class TransferSendApi(_TransferCommand):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="inventory_transfers_send",
        request=None,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: TransferOutputSerializer, **COMMAND_ERRORS},
        summary="Send a DRAFT transfer (TRANSFER_OUT at the source; short stock → 409)",
    )
    @idempotent
    def post(self, request, pk: int):
        transfer = self.locate(pk)
        transfer_send(tenant=self.tenant, transfer_id=transfer.pk, actor=request.user)
        return Response(_render(self.tenant, transfer.pk))


class TransferReceiveApi(_TransferCommand):
    write_role = Role.CASHIER
    location_attr = "to_location_id"

    @extend_schema(
        operation_id="inventory_transfers_receive",
        request=TransferReceiveInputSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: TransferOutputSerializer, **COMMAND_ERRORS},
        summary="Receive sent goods at the destination (TRANSFER_IN; partial allowed)",
    )
    @idempotent
    def post(self, request, pk: int):
        transfer = self.locate(pk)
        serializer = TransferReceiveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lines = [
            TransferReceiveLine(variant_id=line["variant_id"], qty_receive=line["qty_receive"])
            for line in serializer.validated_data["lines"]
        ]
        transfer_receive(
            tenant=self.tenant, transfer_id=transfer.pk, lines=lines, actor=request.user
        )
        return Response(_render(self.tenant, transfer.pk))


class TransferCancelApi(_TransferCommand):
    write_role = Role.MANAGER

    @extend_schema(
        operation_id="inventory_transfers_cancel",
        request=None,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: TransferOutputSerializer, **COMMAND_ERRORS},
        summary="Cancel a DRAFT transfer",
    )
    @idempotent
    def post(self, request, pk: int):
        transfer = self.locate(pk)
        transfer_cancel(tenant=self.tenant, transfer_id=transfer.pk, actor=request.user)
        return Response(_render(self.tenant, transfer.pk))


__all__ = [
    "TransferCancelApi",
    "TransferDetailApi",
    "TransferListCreateApi",
    "TransferReceiveApi",
    "TransferSendApi",
]
