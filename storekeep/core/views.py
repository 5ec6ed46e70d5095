"""Tenant-aware API base classes (STYLE: a tenant-aware base view resolves the tenant)."""

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.views import APIView

from .errors import PermissionDenied
from .permissions import request_membership
from .selectors import get_object


class TenantContextMixin:
    """Gives views ``tenant``, ``membership`` and location-access checks."""

    @property
    def membership(self):
        return request_membership(self.request)

    @property
    def tenant(self):
        return self.membership.tenant

    def check_location_access(self, location_id: int) -> None:
        """403 ``permission_denied`` when the member is not assigned to the location."""
        if not self.membership.can_access_location(int(location_id)):
            raise PermissionDenied(
                "You are not assigned to this location.", details={"location_id": int(location_id)}
            )

    def get_tenant_object(self, queryset: QuerySet, pk, *, field: str = "pk"):
        """The tenant's object with this id, else 404 (never 403: SPEC §3.6)."""
        return get_object(queryset.filter(tenant=self.tenant), pk, field=field)


class TenantAPIView(TenantContextMixin, APIView):
    """Base of command views (checkout, send, receive, …)."""


class TenantModelViewSet(TenantContextMixin, viewsets.ModelViewSet):
    """CRUD scoped to the tenant: querysets filtered, ``tenant`` set on create."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant=self.tenant)

    def perform_create(self, serializer):
        serializer.save(tenant=self.tenant)
