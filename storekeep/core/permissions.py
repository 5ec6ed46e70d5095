"""Role checks for tenant members (SPEC §5, §10).

Roles rank OWNER > MANAGER > INTEGRATION > CASHIER > VIEWER. A view states the
least role for reads (``read_role``, default VIEWER) and writes (``write_role``,
default MANAGER); ``role_by_method`` overrides per method.

INTEGRATION (another system's API client, issue 12 item 4) reads as its rank
allows but writes only where a view opts in with ``integration_writes = True``
(API sales, reservations, logging out): no till, staff, settings or stock
movements, whatever the view's ``write_role``.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .errors import PermissionDenied

# ``tenants.Role`` values; spelled out here because ``core`` imports no app.
DEFAULT_READ_ROLE = "VIEWER"
DEFAULT_WRITE_ROLE = "MANAGER"
INTEGRATION_ROLE = "INTEGRATION"


def request_membership(request):
    """The Membership behind the request's credentials, or None."""
    return getattr(request.auth, "membership", None)


class IsTenantMember(BasePermission):
    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        membership = request_membership(request)
        if membership is None or not membership.is_active:
            return False
        if not integration_may(membership, view, request.method):
            raise PermissionDenied(
                "An integration account may only read, record API sales and reservations.",
                details={"role": INTEGRATION_ROLE},
            )
        return membership.has_role(required_role(view, request.method))


def integration_may(membership, view, method: str) -> bool:
    """False for an INTEGRATION member's write to a view without ``integration_writes``."""
    if membership.role != INTEGRATION_ROLE or method in SAFE_METHODS:
        return True
    return bool(getattr(view, "integration_writes", False))


def required_role(view, method: str) -> str:
    by_method = getattr(view, "role_by_method", None) or {}
    if method in by_method:
        return by_method[method]
    if method in SAFE_METHODS:
        return getattr(view, "read_role", DEFAULT_READ_ROLE)
    return getattr(view, "write_role", DEFAULT_WRITE_ROLE)
