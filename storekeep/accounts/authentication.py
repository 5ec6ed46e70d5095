"""``Authorization: Bearer <token>`` for the back office (SPEC §10)."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, parse_tenant_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        parsed = parse_tenant_token(raw, "sk") if raw else None
        if parsed is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        tenant_id, key_hash = parsed
        token = (
            ApiToken.objects.select_related("membership__tenant", "membership__user")
            .filter(tenant_id=tenant_id, key_hash=key_hash)
            .first()
        )
        if token is None or not token.is_valid:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        membership = token.membership
        if not (membership.is_active and membership.user.is_active and membership.tenant.is_active):
            raise exceptions.AuthenticationFailed("This account is disabled.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return membership.user, token

    def authenticate_header(self, request):
        return self.keyword
