"""Role checks for tenant members (SPEC §5, §10).

Roles rank OWNER > MANAGER > CASHIER > VIEWER. A view states the least role
for reads (``read_role``, default VIEWER) and writes (``write_role``, default
MANAGER); ``role_by_method`` overrides per method.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

# ``tenants.Role`` values; spelled out here because ``core`` imports no app.
DEFAULT_READ_ROLE = "VIEWER"
DEFAULT_WRITE_ROLE = "MANAGER"


def request_membership(request):
    """The Membership behind the request's credentials, or None."""
    return getattr(request.auth, "membership", None)


class IsTenantMember(BasePermission):
    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        membership = request_membership(request)
        if membership is None or not membership.is_active:
            return False
        return membership.has_role(required_role(view, request.method))


def required_role(view, method: str) -> str:
    by_method = getattr(view, "role_by_method", None) or {}
    if method in by_method:
        return by_method[method]
    if method in SAFE_METHODS:
        return getattr(view, "read_role", DEFAULT_READ_ROLE)
    return getattr(view, "write_role", DEFAULT_WRITE_ROLE)
