"""Who may see a page of the web UI: the signed-in member of the chosen tenant (SPEC §11).

The browser signs in with a Django session; the tenant chosen at sign-in is kept
in the session under ``TENANT_SESSION_KEY``. `member_required` (function views)
and `MemberRequiredMixin` (class-based views) resolve it on every request, in one
query, to ``request.membership`` (an active `Membership` of an active tenant) and
``request.tenant``, and apply the same role rules as the API
(`storekeep.core.permissions`): a role below ``min_role``, or outside ``roles``
when a page names them, answers 403 with a page that says why.

Not signed in (or the membership was deactivated meanwhile) → redirect to the
sign-in page with ``?next=``; htmx requests get ``HX-Redirect`` instead, so a
stale till page goes to sign-in rather than swapping a login form into the cart.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from storekeep.tenants.models import TILL_ROLES, Membership, Role  # noqa: F401 (TILL_ROLES re-exported)

TENANT_SESSION_KEY = "storekeep_tenant_id"


def active_memberships(user):
    """The user's active memberships in active tenants, tenant loaded, by tenant name."""
    return (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name", "tenant_id")
    )


def resolve_membership(request) -> Membership | None:
    """The membership of the tenant chosen in this session, or None (one query)."""
    user = request.user
    tenant_id = request.session.get(TENANT_SESSION_KEY)
    if not user.is_authenticated or tenant_id is None:
        return None
    return active_memberships(user).filter(tenant_id=tenant_id).first()


def _to_sign_in(request):
    url = reverse("web:sign-in")
    if request.method == "GET" and not getattr(request, "htmx", False):
        url += "?" + urlencode({"next": request.get_full_path()})
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def forbidden(request, message: str, status: int = 403):
    """A page (or htmx fragment) that says what is not allowed, with its HTTP status."""
    return render(request, "web/forbidden.html", {"message": message}, status=status)


def check_member(request, *, min_role=Role.VIEWER, roles=None):
    """Attach ``request.membership``/``request.tenant``; returns a response to send instead
    (sign-in redirect or 403 page) when the request may not proceed, else None."""
    membership = resolve_membership(request)
    if membership is None:
        if request.user.is_authenticated and request.session.get(TENANT_SESSION_KEY) is None:
            return redirect(reverse("web:choose-tenant"))
        if request.user.is_authenticated:
            logout(request)
        return _to_sign_in(request)
    request.membership = membership
    request.tenant = membership.tenant
    if roles is not None and membership.role not in roles:
        return forbidden(request, "Your role does not allow this page.")
    if not membership.has_role(min_role):
        return forbidden(request, "Your role does not allow this page.")
    return None


def member_required(view=None, *, min_role=Role.VIEWER, roles=None):
    """Decorate a function view: only members of the session's tenant with the role get in.

    ``@member_required`` (any role), ``@member_required(min_role=Role.MANAGER)``, or
    ``@member_required(roles=TILL_ROLES)``.
    """

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            refusal = check_member(request, min_role=min_role, roles=roles)
            if refusal is not None:
                return refusal
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


class MemberRequiredMixin:
    """Class-based views: set ``min_role`` (default VIEWER) and/or ``roles``."""

    min_role = Role.VIEWER
    roles = None

    def dispatch(self, request, *args, **kwargs):
        refusal = check_member(request, min_role=self.min_role, roles=self.roles)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)


def location_allowed(request, location_id: int) -> bool:
    """Whether the member may see or act on this location (empty assignment = all)."""
    return request.membership.can_access_location(location_id)
