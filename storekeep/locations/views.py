"""``/api/v1/locations``: stores, warehouses and virtual locations (SPEC §2, §10).

Reads VIEWER+, writes MANAGER+. A member assigned to some locations lists only
those, and gets 403 for the others. Deleting a location that stock, sales or documents refer to answers
409 ``conflict`` (deactivate it instead).
"""

import django_filters
from django.db import transaction

from storekeep.core.serializers import crud_schema, destroy_or_conflict
from storekeep.core.views import TenantModelViewSet

from .models import Location
from .serializers import LocationSerializer
from .services import location_keep_single_default


class LocationFilter(django_filters.FilterSet):
    class Meta:
        model = Location
        fields = ["type", "is_active", "is_default", "code"]


@crud_schema(LocationSerializer, "location")
class LocationViewSet(TenantModelViewSet):
    queryset = Location.objects.all()
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    search_fields = ["code", "name"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["code", "id"]
    lookup_value_regex = "[^/]+"  # any id reaches the view, which answers 404 in the error shape

    def get_queryset(self):
        queryset = super().get_queryset()
        allowed = self.membership.allowed_location_ids()
        if allowed is not None and self.action == "list":
            queryset = queryset.filter(pk__in=allowed)
        return queryset

    def get_object(self):
        location = super().get_object()
        self.check_location_access(location.pk)  # 403 for a location the member is not assigned to
        return location

    def perform_create(self, serializer):
        with transaction.atomic():
            location = serializer.save(tenant=self.tenant)
            location_keep_single_default(tenant=self.tenant, location=location)

    def perform_update(self, serializer):
        with transaction.atomic():
            location = serializer.save()
            location_keep_single_default(tenant=self.tenant, location=location)

    def perform_destroy(self, instance):
        destroy_or_conflict(instance)
