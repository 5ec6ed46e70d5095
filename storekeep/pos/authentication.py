"""``Authorization: Register <token>`` for calls made at the till (SPEC §5).

The token identifies tenant, store, register, session and cashier. A missing,
unknown or closed session, or a cashier no longer an active member, answers 401;
a cashier no longer assigned to the store answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q
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
        # One query: the session with its register, store, cashier and tenant, joined to the
        # cashier's membership of the tenant (id, role, active) and whether that member may
        # work at the register's store (no assigned locations, or this one among them).
        assignments = Membership.locations.through.objects.filter(
            membership_id=OuterRef("member__id")
        )
        sessions = (
            RegisterSession.objects.select_related("register__location", "opened_by", "tenant")
            .annotate(
                member=FilteredRelation(
                    "opened_by__memberships",
                    condition=Q(opened_by__memberships__tenant_id=F("tenant_id")),
                ),
                member_id=F("member__id"),
                member_role=F("member__role"),
                member_active=F("member__is_active"),
                member_anywhere=~Exists(assignments),
                member_here=Exists(
                    assignments.filter(location_id=OuterRef("register__location_id"))
                ),
            )
            .filter(tenant_id=tenant_id, token_hash=token_hash)
        )[:1]
        session = next(iter(sessions), None)
        if session is None:
            raise exceptions.AuthenticationFailed("Invalid register token.")
        if session.status != RegisterSession.Status.OPEN:
            raise exceptions.AuthenticationFailed("This register session is closed.")
        user = session.opened_by
        if not user.is_active or not session.tenant.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        if session.member_id is None or not session.member_active:
            # Deactivated (or removed): the session's token stops at once, as a bearer token
            # does (issue 12 item 1); the session stays open for a manager to close and count.
            raise exceptions.AuthenticationFailed(
                "You are no longer an active member of this tenant."
            )
        if not (session.member_anywhere or session.member_here):
            raise exceptions.PermissionDenied("You are not assigned to this store.")
        membership = Membership(
            pk=session.member_id,
            tenant=session.tenant,
            user=user,
            role=session.member_role,
            is_active=True,
        )
        membership._state.adding = False
        membership._state.db = session._state.db
        return user, RegisterAuth(session=session, membership=membership)

    def authenticate_header(self, request):
        return self.keyword
