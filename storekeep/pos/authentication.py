"""``Authorization: Register <token>`` for calls made at the till (SPEC §5).

The token identifies tenant, store, register, session and cashier. A missing,
unknown or closed session, or a cashier no longer an active member, answers 401;
a cashier no longer assigned to the store answers 403.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework import authentication, exceptions

from storekeep.accounts.models import parse_tenant_token
from storekeep.core.db import fetch_rows, joined_columns, joined_instances
from storekeep.locations.models import Location
from storekeep.pos.models import Register, RegisterSession
from storekeep.tenants.models import Membership, Tenant

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
        session = _session_for_token(tenant_id, token_hash)
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


# The session, its register, store, cashier and tenant, the cashier's membership of the
# tenant, and whether that member may work at the register's store (no assigned locations,
# or this one among them): one statement, written once (issue 11: the ORM compiled this
# query on every request, 4x its own SQL time).
_JOINED = (
    ("s", RegisterSession),
    ("r", Register),
    ("l", Location),
    ("u", get_user_model()),
    ("t", Tenant),
)


@functools.cache
def _token_statement() -> tuple[str, tuple, tuple]:
    """(SQL, its ``fetch_rows`` columns, ``joined_columns`` layout) of
    :func:`_session_for_token`."""
    quote = connection.ops.quote_name
    selected, columns, layout, table = joined_columns(_JOINED)
    through = quote(Membership.locations.through._meta.db_table)
    sql = (
        f"SELECT {selected}, m.id, m.role, m.is_active, "
        f"NOT EXISTS (SELECT 1 FROM {through} a WHERE a.membership_id = m.id), "
        f"EXISTS (SELECT 1 FROM {through} a WHERE a.membership_id = m.id "
        f"AND a.location_id = r.location_id) "
        f"FROM {table['s']} s "
        f"JOIN {table['r']} r ON r.id = s.register_id "
        f"JOIN {table['l']} l ON l.id = r.location_id "
        f"JOIN {table['u']} u ON u.id = s.opened_by_id "
        f"JOIN {table['t']} t ON t.id = s.tenant_id "
        f"LEFT JOIN {quote(Membership._meta.db_table)} m "
        f"ON m.user_id = s.opened_by_id AND m.tenant_id = s.tenant_id "
        f"WHERE s.tenant_id = %s AND s.token_hash = %s"
    )
    return sql, (*columns, *[(None, None)] * 5), layout


def _session_for_token(tenant_id: int, token_hash: str) -> RegisterSession | None:
    """The session holding ``token_hash`` in tenant ``tenant_id`` with ``register.location``,
    ``opened_by`` and ``tenant`` loaded and ``member_id``, ``member_role``,
    ``member_active``, ``member_anywhere``, ``member_here`` set; None if there is none."""
    sql, columns, layout = _token_statement()
    rows = fetch_rows(sql, [tenant_id, token_hash], columns)
    if not rows:
        return None
    row = rows[0]
    session, register, location, user, tenant = joined_instances(row, layout)
    Register._meta.get_field("location").set_cached_value(register, location)
    meta = RegisterSession._meta
    meta.get_field("register").set_cached_value(session, register)
    meta.get_field("opened_by").set_cached_value(session, user)
    meta.get_field("tenant").set_cached_value(session, tenant)
    (
        session.member_id,
        session.member_role,
        session.member_active,
        session.member_anywhere,
        session.member_here,
    ) = row[-5:]
    return session
