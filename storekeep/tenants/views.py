"""``GET/PATCH /api/v1/tenant``: the caller's tenant settings (SPEC §2). Reads VIEWER+, changes OWNER."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView

from .models import Role
from .serializers import TenantSettingsSerializer
from .services import tenant_update_settings


class TenantSettingsView(TenantAPIView):
    read_role = Role.VIEWER
    write_role = Role.OWNER

    @extend_schema(
        summary="The current tenant's settings",
        responses={200: TenantSettingsSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(TenantSettingsSerializer(self.tenant).data)

    @extend_schema(
        summary="Change the tenant's settings (OWNER)",
        request=TenantSettingsSerializer,
        responses={200: TenantSettingsSerializer, **error_responses(400, 401, 403, 409)},
    )
    def patch(self, request):
        serializer = TenantSettingsSerializer(self.tenant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tenant = tenant_update_settings(tenant=self.tenant, **serializer.validated_data)
        return Response(TenantSettingsSerializer(tenant).data)
