"""``/api/v1/staff``: the tenant's people, their roles, stores and passwords (issue 12 item 1).

MANAGER and OWNER only (INTEGRATION, CASHIER and VIEWER: 403). Who may change whom is
decided by :mod:`storekeep.accounts.services`; a member assigned to some stores sees and
manages only the people of those stores.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from storekeep.core.api import IDEMPOTENCY_PARAM
from storekeep.core.csv import FORMAT_PARAM, CSVRenderer, list_response
from storekeep.core.errors import PermissionDenied
from storekeep.core.idempotency import idempotent
from storekeep.core.query import parse_query
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView, TenantContextMixin
from storekeep.tenants.models import Role

from . import selectors, services
from .serializers import (
    StaffCreateInput,
    StaffFilterInput,
    StaffHistoryEntrySerializer,
    StaffOutput,
    StaffPasswordInput,
    StaffUpdateInput,
)


def _rows(members) -> list[dict]:
    return [StaffOutput.row(member) for member in members]


class _StaffView(TenantContextMixin):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def visible_member(self, pk):
        """The member ``pk`` (404 for another tenant's id); 403 when the caller is assigned to
        some stores and the member works at none of them."""
        member = selectors.staff_get(tenant=self.tenant, membership_id=pk)
        if not selectors.staff_visible(actor=self.membership, member=member):
            raise PermissionDenied(
                "This person does not work at your stores.", details={"id": member.pk}
            )
        return member

    def member_response(self, pk, status_code=200) -> Response:
        member = selectors.staff_get(tenant=self.tenant, membership_id=pk)
        return Response(StaffOutput(StaffOutput.row(member)).data, status=status_code)


@extend_schema(tags=["staff"])
class StaffListCreateApi(_StaffView, generics.GenericAPIView):
    """List the tenant's members, or add a person (a new login with a role and stores)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends: list = []

    @extend_schema(
        summary="List staff members (MANAGER, OWNER)",
        parameters=[StaffFilterInput, FORMAT_PARAM],
        responses={200: StaffOutput(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = parse_query(StaffFilterInput, request)
        members = selectors.staff_list(
            tenant=self.tenant, filters=filters, location_ids=self.location_scope()
        )
        return list_response(self, members, _rows, filename="staff.csv")

    @extend_schema(
        summary="Add a person (OWNER: any role; MANAGER: cashiers and viewers)",
        request=StaffCreateInput,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: StaffOutput, **error_responses(400, 401, 403, 409, 422)},
    )
    @idempotent
    def post(self, request):
        serializer = StaffCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.staff_create(
            tenant=self.tenant, actor=self.membership, **serializer.validated_data
        )
        return self.member_response(member.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["staff"])
class StaffDetailApi(_StaffView, TenantAPIView):
    """One member; change their role, stores, activity, name or email."""

    @extend_schema(
        summary="A staff member",
        responses={200: StaffOutput, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        member = self.visible_member(pk)
        return Response(StaffOutput(StaffOutput.row(member)).data)

    @extend_schema(
        summary="Change a member's role, stores, is_active, name or email",
        request=StaffUpdateInput,
        responses={200: StaffOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, pk):
        member = self.visible_member(pk)
        serializer = StaffUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.staff_update(
            tenant=self.tenant,
            actor=self.membership,
            membership_id=member.pk,
            **serializer.validated_data,
        )
        return self.member_response(member.pk)


@extend_schema(tags=["staff"])
class StaffPasswordApi(_StaffView, TenantAPIView):
    """Set a member's new password; their bearer tokens are revoked."""

    @extend_schema(
        summary="Set a new password (revokes the person's tokens)",
        request=StaffPasswordInput,
        parameters=[IDEMPOTENCY_PARAM],
        responses={200: StaffOutput, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, pk):
        member = self.visible_member(pk)
        serializer = StaffPasswordInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.staff_set_password(
            tenant=self.tenant,
            actor=self.membership,
            membership_id=member.pk,
            password=serializer.validated_data["password"],
        )
        return self.member_response(member.pk)


@extend_schema(tags=["staff"])
class StaffHistoryApi(_StaffView, TenantAPIView):
    """Every change of a member, oldest first: who, when, what."""

    @extend_schema(
        summary="A staff member's history",
        responses={200: StaffHistoryEntrySerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        member = self.visible_member(pk)
        entries = selectors.staff_history(tenant=self.tenant, membership_id=member.pk)
        return Response(StaffHistoryEntrySerializer(entries, many=True).data)
