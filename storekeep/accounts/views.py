"""``/api/v1/auth/token`` (issue, revoke) and ``/api/v1/auth/me`` (SPEC §10)."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from storekeep.core.errors import ErrorCode, NotAuthenticated, ValidationFailed
from storekeep.core.permissions import IsTenantMember
from storekeep.core.serializers import RETRY_AFTER_HEADER, error_responses
from storekeep.tenants.models import Membership, Role

from .models import ApiToken
from .serializers import MeSerializer, TokenRequestSerializer, TokenResponseSerializer
from .throttle import check_credentials


def _invalid_credentials() -> NotAuthenticated:
    return NotAuthenticated(
        "Invalid username, password or tenant.", code=ErrorCode.INVALID_CREDENTIALS
    )


def _tenant_ref(tenant) -> dict:
    return {"id": tenant.pk, "slug": tenant.slug, "name": tenant.name}


def choose_membership(*, user, tenant_slug: str | None) -> Membership:
    """The active membership of ``user`` the token will be scoped to.

    ``tenant_slug`` picks one tenant; it is required only when the user belongs
    to several. Errors: 401 ``invalid_credentials`` (no such membership),
    400 ``tenant_required`` (several memberships, ``details["tenants"]`` lists
    their slugs). SPEC §10.
    """
    memberships = list(
        Membership.objects.select_related("tenant")
        .filter(user=user, is_active=True, tenant__is_active=True)
        .order_by("tenant__slug")
    )
    if tenant_slug:
        chosen = [m for m in memberships if m.tenant.slug == tenant_slug]
        if not chosen:
            raise _invalid_credentials()
        return chosen[0]
    if not memberships:
        raise _invalid_credentials()
    if len(memberships) > 1:
        raise ValidationFailed(
            "This user belongs to several tenants: give `tenant` (a slug).",
            code=ErrorCode.TENANT_REQUIRED,
            details={"tenants": [m.tenant.slug for m in memberships]},
        )
    return memberships[0]


class TokenView(APIView):
    """Issue (POST) and revoke (DELETE) a tenant-scoped bearer token."""

    role_by_method = {"DELETE": Role.VIEWER}
    integration_writes = True  # anyone may revoke their own token

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsTenantMember()]

    def get_authenticators(self):
        # Logging in must work whatever stale Authorization header the client still sends.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        summary="Log in: issue a bearer token",
        auth=[],
        request=TokenRequestSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={201: TokenResponseSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = check_credentials(
            request=request, username=data["username"], password=data["password"]
        )
        membership = choose_membership(
            user=user, tenant_slug=(data.get("tenant") or "").strip() or None
        )
        token, raw = ApiToken.issue(membership=membership, ttl=settings.STOREKEEP_TOKEN_TTL)
        body = {
            "token": raw,
            "token_type": "Bearer",
            "expires_at": token.expires_at,
            "tenant": _tenant_ref(membership.tenant),
            "role": membership.role,
            "user": {"id": user.pk, "username": user.get_username()},
        }
        return Response(
            TokenResponseSerializer(body).data, status=201, headers={"Cache-Control": "no-store"}
        )

    @extend_schema(
        summary="Log out: revoke the presented token",
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), **error_responses(401)},
    )
    def delete(self, request):
        token = request.auth
        if not isinstance(token, ApiToken):
            raise NotAuthenticated("Only a bearer token can be revoked here.")
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        return Response(status=204)


class MeView(APIView):
    """Who the presented credentials are: user, tenant, role, assigned locations."""

    read_role = Role.VIEWER

    @extend_schema(
        summary="The current user, tenant and role",
        responses={200: MeSerializer, **error_responses(401, 403)},
    )
    def get(self, request):
        membership = request.auth.membership
        allowed = membership.allowed_location_ids()
        body = {
            "user": {"id": request.user.pk, "username": request.user.get_username()},
            "tenant": _tenant_ref(membership.tenant),
            "role": membership.role,
            "location_ids": sorted(allowed) if allowed is not None else None,
            "token_expires_at": getattr(request.auth, "expires_at", None),
        }
        return Response(MeSerializer(body).data)
