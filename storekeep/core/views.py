"""Tenant-aware API base classes (STYLE: a tenant-aware base view resolves the tenant)."""

from collections.abc import Callable, Sequence

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.views import APIView

from .csv import CSVListMixin, CSVRenderer
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

    def location_scope(self, location_id=None) -> list[int] | None:
        """Location ids the request may read: the one asked for (403 if not allowed),
        else the member's locations (None = all). Pass it as a selector's ``location_ids``."""
        if location_id:
            self.check_location_access(location_id)
            return [int(location_id)]
        allowed = self.membership.allowed_location_ids()
        return None if allowed is None else sorted(allowed)

    def get_tenant_object(self, queryset: QuerySet, pk, *, field: str = "pk"):
        """The tenant's object with this id, else 404 (never 403: SPEC §3.6)."""
        return get_object(queryset.filter(tenant=self.tenant), pk, field=field)

    def check_object_location(
        self, obj, *, location_fields: Sequence[str] = ("location_id",), match: str = "all"
    ) -> None:
        """403 unless the member may act on ``obj`` at its location(s).

        ``match="all"``: every field in ``location_fields`` must be one of the
        member's locations; ``"any"``: one of them is enough (a transfer seen
        from either end). The 403 names the first field's location.
        """
        ids = [getattr(obj, name) for name in location_fields]
        if match == "any":
            allowed = self.membership.allowed_location_ids()
            if allowed is None or set(ids) & allowed:
                return
            ids = ids[:1]
        for location_id in ids:
            self.check_location_access(location_id)

    def resolve_object(
        self,
        source: QuerySet | Callable,
        pk,
        *,
        location_fields: Sequence[str] = ("location_id",),
        match: str = "all",
    ):
        """Load the object a request names and check the member may act on it.

        ``source``: a queryset (filtered to the tenant here; 404 ``not_found`` for
        an unknown, malformed or another tenant's id) or a selector
        ``source(pk)`` that raises its own 404. Then
        :meth:`check_object_location` (403). SPEC §3.6: never 403 for another
        tenant's id.
        """
        if isinstance(source, QuerySet):
            obj = self.get_tenant_object(source, pk)
        else:
            obj = source(pk)
        self.check_object_location(obj, location_fields=location_fields, match=match)
        return obj


class TenantAPIView(TenantContextMixin, APIView):
    """Base of command views (checkout, send, receive, …)."""


class TenantModelViewSet(TenantContextMixin, CSVListMixin, viewsets.ModelViewSet):
    """CRUD scoped to the tenant: querysets filtered, ``tenant`` set on create;
    the list streams CSV with ``?format=csv`` (same filters, the serializer's fields)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    def get_queryset(self):
        return super().get_queryset().filter(tenant=self.tenant)

    def perform_create(self, serializer):
        serializer.save(tenant=self.tenant)
