"""The shell's pages: sign-in at ``/`` (then the home page), tenant choice, sign out (SPEC §11)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from storekeep.accounts.throttle import check_credentials
from storekeep.core.errors import DomainError, NotAuthenticated

from . import nav
from .access import TENANT_SESSION_KEY, active_memberships, check_member

WRONG_CREDENTIALS = "Wrong username or password."


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def sign_in(request):
    """``/``: the sign-in form, or the home page once signed in with a tenant chosen."""
    if request.method == "GET" and request.user.is_authenticated:
        if request.session.get(TENANT_SESSION_KEY) is None:
            return redirect("web:choose-tenant")
        refusal = check_member(request)
        if refusal is None:
            return home(request)
        return refusal

    context = {"username": "", "next": request.GET.get("next", "")}
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        context.update(username=username, next=request.POST.get("next", ""))
        if not username or not password:
            context["error"] = "Enter your username and password."
            return render(request, "web/sign_in.html", context, status=400)
        try:
            user = check_credentials(request=request, username=username, password=password)
        except NotAuthenticated:
            context["error"] = WRONG_CREDENTIALS
            return render(request, "web/sign_in.html", context, status=401)
        except DomainError as exc:  # 429 too_many_attempts: counted by the one login throttle
            context["error"] = "Too many failed sign-ins."
            retry = exc.details.get("retry_after") if isinstance(exc.details, dict) else None
            if retry:
                context["error"] += f" Try again in {retry} seconds."
            return render(request, "web/sign_in.html", context, status=exc.status_code)
        memberships = list(active_memberships(user))
        if not memberships:
            context["error"] = "This account is not a member of any shop. Ask your manager."
            return render(request, "web/sign_in.html", context, status=403)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if len(memberships) == 1:
            request.session[TENANT_SESSION_KEY] = memberships[0].tenant_id
            return redirect(_safe_next(request, reverse("web:sign-in")))
        url = reverse("web:choose-tenant")
        if context["next"]:
            url += "?next=" + context["next"]
        return redirect(url)
    return render(request, "web/sign_in.html", context)


def home(request):
    """The home page of a member: what their role can open, as cards."""
    return render(request, "web/home.html", {"cards": nav.items_for(request.membership)})


def choose_tenant(request):
    """Pick which shop to work in when the login belongs to several."""
    if not request.user.is_authenticated:
        return redirect("web:sign-in")
    memberships = list(active_memberships(request.user))
    if request.method == "POST":
        chosen = request.POST.get("tenant", "")
        match = next((m for m in memberships if str(m.tenant_id) == chosen), None)
        if match is None:
            messages.error(request, "Choose one of your shops.")
            return redirect("web:choose-tenant")
        request.session[TENANT_SESSION_KEY] = match.tenant_id
        return redirect(_safe_next(request, reverse("web:sign-in")))
    if len(memberships) == 1:
        request.session[TENANT_SESSION_KEY] = memberships[0].tenant_id
        return redirect(_safe_next(request, reverse("web:sign-in")))
    return render(
        request,
        "web/choose_tenant.html",
        {"memberships": memberships, "next": request.GET.get("next", "")},
    )


@require_POST
def sign_out(request):
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("web:sign-in")
