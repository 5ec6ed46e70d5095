"""``Authorization: Register <token>`` for calls made at the till (SPEC §5).

The token identifies tenant, store, register, session and cashier. A missing,
unknown or closed session answers 401; a cashier no longer assigned to the
store (or no longer an active member) answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework import authentication, exceptions

from storekeep.accounts.models import parse_tenant_token
from storekeep.pos.models import RegisterSession
from storekeep.tenants.models import Membership

KEYWORD = "Register"


@dataclass(frozen=True)
class RegisterAuth:
    """``request.auth`` for register-token requests.

    ``membership`` is what the project's permissions and idempotency read;
    ``session`` (with ``register`` and ``register.location`` loaded) is the till.
    """

    session: RegisterSession
    membership: Membership

    @property
    def register(self):
        return self.session.register

    @property
    def location(self):
        return self.session.register.location


class RegisterTokenAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        parsed = parse_tenant_token(raw, "rs") if raw else None
        if parsed is None:
            raise exceptions.AuthenticationFailed("Invalid register token.")
        tenant_id, token_hash = parsed
        session = (
            RegisterSession.objects.select_related("register__location", "opened_by", "tenant")
            .filter(tenant_id=tenant_id, token_hash=token_hash)
            .first()
        )
        if session is None:
            raise exceptions.AuthenticationFailed("Invalid register token.")
        if session.status != RegisterSession.Status.OPEN:
            raise exceptions.AuthenticationFailed("This register session is closed.")
        user = session.opened_by
        membership = (
            Membership.objects.select_related("tenant")
            .prefetch_related("locations")
            .filter(tenant_id=tenant_id, user=user)
            .first()
        )
        if not user.is_active or not session.tenant.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        if membership is None or not membership.is_active:
            raise exceptions.PermissionDenied("You are no longer a member of this tenant.")
        membership._allowed_location_ids = {loc.pk for loc in membership.locations.all()} or None
        if not membership.can_access_location(session.register.location_id):
            raise exceptions.PermissionDenied("You are not assigned to this store.")
        return user, RegisterAuth(session=session, membership=membership)

    def authenticate_header(self, request):
        return self.keyword
