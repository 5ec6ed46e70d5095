"""``Authorization: Bearer <token>`` for the back office (SPEC §10)."""

import functools

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import authentication, exceptions

from storekeep.core.db import fetch_rows, joined_columns, joined_instances
from storekeep.tenants.models import Membership, Tenant

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
        token = _token(tenant_id, key_hash)
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


_JOINED = (("k", ApiToken), ("m", Membership), ("t", Tenant), ("u", get_user_model()))


@functools.cache
def _token_statement() -> tuple[str, tuple, tuple]:
    selected, columns, layout, table = joined_columns(_JOINED)
    sql = (
        f"SELECT {selected} FROM {table['k']} k "
        f"JOIN {table['m']} m ON m.id = k.membership_id "
        f"JOIN {table['t']} t ON t.id = m.tenant_id "
        f"JOIN {table['u']} u ON u.id = m.user_id "
        f"WHERE k.tenant_id = %s AND k.key_hash = %s"
    )
    return sql, columns, layout


def _token(tenant_id: int, key_hash: str) -> ApiToken | None:
    """The token ``key_hash`` of tenant ``tenant_id`` with ``membership.tenant`` and
    ``membership.user`` loaded, or None: what ``ApiToken.objects.select_related(…)`` gives,
    as one statement written once (every API request asks it; issue 11)."""
    sql, columns, layout = _token_statement()
    rows = fetch_rows(sql, [tenant_id, key_hash], columns)
    if not rows:
        return None
    token, membership, tenant, user = joined_instances(rows[0], layout)
    Membership._meta.get_field("tenant").set_cached_value(membership, tenant)
    Membership._meta.get_field("user").set_cached_value(membership, user)
    ApiToken._meta.get_field("membership").set_cached_value(token, membership)
    return token
