"""``/api/v1/webhooks`` (issue 15 item 2): endpoints, their signing secret, their deliveries.

OWNER only (read and write): endpoints carry where the tenant's data goes. The signing secret
is in the body of the create and rotate answers only; a replay of either with the same
``Idempotency-Key`` mints a fresh secret for the same endpoint (the stored answer never holds
one), revoking the previous.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from storekeep.core.api import IDEMPOTENCY_PARAM, error_responses
from storekeep.core.csv import CSVRenderer, list_response
from storekeep.core.idempotency import idempotent
from storekeep.core.outbox import EVENT_TYPES
from storekeep.core.query import parse_query
from storekeep.core.views import TenantContextMixin
from storekeep.tenants.models import Role

from . import services
from .models import WebhookDelivery
from .selectors import delivery_get, delivery_list, endpoint_get, endpoint_list

ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
DELIVERY_PARAM = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)
READ_ERRORS = error_responses(400, 401, 403)
COMMAND_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


class EndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False, max_length=20
    )
    is_active = serializers.BooleanField(default=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    created_at = serializers.DateTimeField(read_only=True)
    secret_rotated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="HMAC-SHA256 signing key: shown here once (on create and rotate), never again",
    )


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.SerializerMethodField(help_text="the event's stable id (`evt_…`)")
    event_type = serializers.CharField(source="event.event_type")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_response = serializers.CharField(help_text="first 1000 characters of the last answer")
    last_error = serializers.CharField(help_text="timeout, refused address, connection error")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_event_id(self, delivery) -> str:
        return f"evt_{delivery.event_id}"


class DeliveryQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, required=False)


class _OwnerView(TenantContextMixin, generics.GenericAPIView):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends: list = []
    read_role = Role.OWNER
    write_role = Role.OWNER

    def endpoint(self, pk):
        return endpoint_get(tenant=self.tenant, endpoint_id=pk)


def _with_secret(endpoint, secret: str, status_code=200) -> Response:
    body = EndpointWithSecretSerializer(endpoint).data
    body["secret"] = secret
    return Response(body, status=status_code, headers={"Cache-Control": "no-store"})


class EndpointListCreateApi(_OwnerView):
    @extend_schema(
        operation_id="webhooks_list",
        responses={200: EndpointSerializer(many=True), **READ_ERRORS},
        summary="Webhook endpoints (no secrets)",
    )
    def get(self, request):
        return list_response(
            self,
            endpoint_list(tenant=self.tenant),
            lambda objs: EndpointSerializer(objs, many=True).data,
            filename="webhooks.csv",
        )

    @extend_schema(
        operation_id="webhooks_create",
        request=EndpointSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: EndpointWithSecretSerializer, **COMMAND_ERRORS},
        summary="Register an endpoint; the answer carries its signing secret, once",
    )
    @idempotent
    def post(self, request):
        serializer = EndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(
            tenant=self.tenant, actor=request.user, **serializer.validated_data
        )
        return _with_secret(endpoint, secret, status.HTTP_201_CREATED)

    def reissue_secrets(self, request, body, *args, **kwargs):
        """A replayed create answers a new secret for the endpoint it created."""
        endpoint = self.endpoint(body["id"])
        _, secret = services.endpoint_rotate_secret(endpoint=endpoint)
        return {**body, "secret": secret}


class EndpointDetailApi(_OwnerView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        parameters=[ID_PARAM],
        responses={200: EndpointSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        return Response(EndpointSerializer(self.endpoint(pk)).data)

    @extend_schema(
        operation_id="webhooks_update",
        parameters=[ID_PARAM],
        request=EndpointSerializer(partial=True),
        responses={200: EndpointSerializer, **COMMAND_ERRORS},
        summary="Change url, events, is_active or description",
    )
    def patch(self, request, pk):
        endpoint = self.endpoint(pk)
        serializer = EndpointSerializer(endpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            endpoint=endpoint, changes=dict(serializer.validated_data)
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        parameters=[ID_PARAM],
        responses={204: None, **error_responses(401, 403, 404)},
        summary="Remove an endpoint and its delivery log",
    )
    def delete(self, request, pk):
        self.endpoint(pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretApi(_OwnerView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        parameters=[ID_PARAM, IDEMPOTENCY_PARAM],
        request=None,
        responses={200: EndpointWithSecretSerializer, **COMMAND_ERRORS},
        summary="A new signing secret (the previous one stops signing at once)",
    )
    @idempotent
    def post(self, request, pk):
        endpoint, secret = services.endpoint_rotate_secret(endpoint=self.endpoint(pk))
        return _with_secret(endpoint, secret)

    def reissue_secrets(self, request, body, pk):
        _, secret = services.endpoint_rotate_secret(endpoint=self.endpoint(pk))
        return {**body, "secret": secret}


class DeliveryListApi(_OwnerView):
    @extend_schema(
        operation_id="webhooks_deliveries",
        parameters=[ID_PARAM, DeliveryQuerySerializer],
        responses={200: DeliverySerializer(many=True), **error_responses(400, 401, 403, 404)},
        summary="The endpoint's deliveries, one row per event (newest first)",
    )
    def get(self, request, pk):
        endpoint = self.endpoint(pk)
        query = parse_query(DeliveryQuerySerializer, request)
        return list_response(
            self,
            delivery_list(tenant=self.tenant, endpoint=endpoint, status=query.get("status")),
            lambda objs: DeliverySerializer(objs, many=True).data,
            filename="webhook_deliveries.csv",
        )


class DeliveryRedeliverApi(_OwnerView):
    @extend_schema(
        operation_id="webhooks_redeliver",
        parameters=[ID_PARAM, DELIVERY_PARAM, IDEMPOTENCY_PARAM],
        request=None,
        responses={202: DeliverySerializer, **COMMAND_ERRORS},
        summary="Send the event to this endpoint again (from a first attempt)",
    )
    @idempotent
    def post(self, request, pk, delivery_id):
        endpoint = self.endpoint(pk)
        delivery = delivery_get(tenant=self.tenant, endpoint=endpoint, delivery_id=delivery_id)
        delivery = services.redeliver(delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
