"""Reservations API (SPEC §8, issue 15 item 1): ``/api/v1/inventory/reservations``.

``POST`` holds available stock for an order (201 PENDING with ``expires_at``; 409
``insufficient_stock`` when available is short; ``Idempotency-Key`` honoured); ``GET`` lists
(filters status, order_ref, location_id, variant_id, expires_before, expires_after; paginated,
``?format=csv``) and reads one; ``…/{id}/confirm`` turns it into a deduction exactly once (one
RESERVATION_CONFIRM ledger row; a repeat answers 200 with the same body) and ``…/{id}/release``
gives the units back. Writes: MANAGER, OWNER or INTEGRATION at their locations; reads VIEWER+.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
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

from ..models import Reservation
from ..selectors import reservation_confirm_rows, reservation_get, reservation_list
from ..services.reservations import (
    MAX_TTL_MINUTES,
    confirm_reservation,
    release_reservation,
    reserve_stock,
)
from .serializers import LedgerRowSerializer

#: Who may reserve, confirm and release (issue 15): INTEGRATION ranks below MANAGER.
WRITE_ROLE = Role.INTEGRATION
ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class ReservationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    location_id = serializers.IntegerField()
    location_code = serializers.CharField(source="location.code")
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    qty = DecimalField(**QTY)
    order_ref = serializers.CharField()
    status = serializers.ChoiceField(choices=Reservation.Status.choices)
    expires_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    created_by_id = serializers.IntegerField(allow_null=True)


class ReservationConfirmSerializer(ReservationSerializer):
    ledger = LedgerRowSerializer(many=True, help_text="the RESERVATION_CONFIRM row(s) written")


class ReservationCreateSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    variant_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    qty = DecimalField(max_digits=20, decimal_places=6, help_text="> 0, stock unit")
    order_ref = serializers.CharField(max_length=100, help_text="your order number")
    ttl_minutes = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TTL_MINUTES,
        help_text="default: the tenant's reservation_ttl_minutes",
    )


class ReservationQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Reservation.Status.choices, required=False)
    order_ref = serializers.CharField(required=False, max_length=100)
    location_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    variant_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    expires_before = serializers.DateTimeField(
        required=False, help_text="ISO date-time: expires_at before it"
    )
    expires_after = serializers.DateTimeField(
        required=False, help_text="ISO date-time: expires_at at or after it"
    )


class ReservationListCreateApi(TenantListView):
    role_by_method = {"POST": WRITE_ROLE}
    integration_writes = True
    csv_columns = list(ReservationSerializer().fields)

    @extend_schema(
        operation_id="inventory_reservations_list",
        parameters=[ReservationQuerySerializer, FORMAT_PARAM],
        responses={200: ReservationSerializer(many=True), **READ_ERRORS},
        summary="List reservations (newest first; paginated; ?format=csv)",
    )
    def get(self, request):
        query = parse_query(ReservationQuerySerializer, request)
        scope = self.location_scope(query.pop("location_id", None))
        queryset = reservation_list(tenant=self.tenant, filters=query, location_ids=scope)
        return list_response(
            self,
            queryset,
            lambda objs: ReservationSerializer(objs, many=True).data,
            filename="reservations.csv",
        )

    @extend_schema(
        operation_id="inventory_reservations_create",
        request=ReservationCreateSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: ReservationSerializer, **COMMAND_ERRORS},
        summary="Reserve available stock for an order (409 insufficient_stock when short)",
    )
    @idempotent
    def post(self, request):
        serializer = ReservationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.check_location_access(data["location_id"])
        reservation = reserve_stock(
            tenant=self.tenant,
            location_id=data["location_id"],
            variant_id=data["variant_id"],
            qty=data["qty"],
            order_ref=data["order_ref"],
            ttl_minutes=data.get("ttl_minutes"),
            actor=request.user,
        )
        reservation = reservation_get(tenant=self.tenant, reservation_id=reservation.pk)
        return Response(ReservationSerializer(reservation).data, status=status.HTTP_201_CREATED)


class _ReservationView(TenantAPIView):
    def _reservation(self, pk) -> Reservation:
        """The reservation the URL names: 404 for another tenant's id, 403 for a location the
        member is not assigned to."""
        return self.resolve_object(
            lambda pk: reservation_get(tenant=self.tenant, reservation_id=pk), pk
        )


class ReservationDetailApi(_ReservationView):
    @extend_schema(
        operation_id="inventory_reservations_retrieve",
        parameters=[ID_PARAM],
        responses={200: ReservationSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        reservation = self._reservation(pk)
        return Response(ReservationSerializer(reservation).data)


class ReservationConfirmApi(_ReservationView):
    write_role = WRITE_ROLE
    integration_writes = True

    @extend_schema(
        operation_id="inventory_reservations_confirm",
        parameters=[ID_PARAM, IDEMPOTENCY_PARAM],
        request=None,
        responses={200: ReservationConfirmSerializer, **COMMAND_ERRORS},
        summary="Confirm: on hand and reserved fall by qty (one RESERVATION_CONFIRM row, once; "
        "a repeat answers the same)",
    )
    @idempotent
    def post(self, request, pk):
        reservation = self._reservation(pk)
        confirm_reservation(tenant=self.tenant, reservation_id=reservation.pk, actor=request.user)
        reservation = reservation_get(tenant=self.tenant, reservation_id=reservation.pk)
        reservation.ledger = reservation_confirm_rows(tenant=self.tenant, reservation=reservation)
        return Response(ReservationConfirmSerializer(reservation).data)


class ReservationReleaseApi(_ReservationView):
    write_role = WRITE_ROLE
    integration_writes = True

    @extend_schema(
        operation_id="inventory_reservations_release",
        parameters=[ID_PARAM, IDEMPOTENCY_PARAM],
        request=None,
        responses={200: ReservationSerializer, **COMMAND_ERRORS},
        summary="Release: reserved falls by qty (a repeat answers the same; a confirmed "
        "reservation → 409 invalid_state)",
    )
    @idempotent
    def post(self, request, pk):
        reservation = self._reservation(pk)
        release_reservation(tenant=self.tenant, reservation_id=reservation.pk, actor=request.user)
        reservation = reservation_get(tenant=self.tenant, reservation_id=reservation.pk)
        return Response(ReservationSerializer(reservation).data)
