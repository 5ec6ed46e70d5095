"""Sign-in throttling: every password check goes through :func:`check_credentials`.

Failed sign-ins are counted by django-axes (its database handler) per username and
per client address; successes count nothing. Once either reaches
``STOREKEEP_LOGIN_FAILURE_LIMIT`` failures within ``STOREKEEP_LOGIN_COOLOFF_SECONDS``,
every sign-in for that username or from that address is refused with 429
``too_many_attempts`` (even with the right password) until the cool-off has passed
since the last failure (SPEC §10; OWASP Authentication Cheat Sheet, "Login Throttling").
"""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Max, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from storekeep.core.errors import ErrorCode, NotAuthenticated, Throttled


def client_ip(request: HttpRequest) -> str | None:
    """The client address of ``request`` (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``STOREKEEP_TRUSTED_PROXIES`` reverse proxies (each appending to
    ``X-Forwarded-For``), the address the outermost trusted proxy saw; else
    ``REMOTE_ADDR``. A client cannot spoof it by sending its own header: only the
    right-most entries, written by our proxies, are read.
    """
    request = getattr(request, "_request", request)
    hops = settings.STOREKEEP_TRUSTED_PROXIES
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def retry_after_seconds(*, username: str, ip_address: str | None) -> int:
    """Seconds until the lockout of ``username`` / ``ip_address`` ends (at least 1)."""
    cool_off = get_cool_off()
    if cool_off is None:
        return 3600
    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(
        last=Max("attempt_time")
    )["last"]
    if last is None:
        return max(1, math.ceil(cool_off.total_seconds()))
    remaining = (last + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def check_credentials(*, request, username: str, password: str):
    """The active user ``username`` whose password is ``password``, or an error.

    ``request``: the Django ``HttpRequest`` or DRF ``Request`` of the attempt (its
    client address is counted). Raises 429 ``too_many_attempts``
    (:class:`~storekeep.core.errors.Throttled`, ``details["retry_after"]`` seconds,
    also the ``Retry-After`` header) while the username or the address is locked
    out, and 401 ``invalid_credentials`` for a wrong username or password or an
    inactive user; the failure is counted in both cases.
    """
    http_request = getattr(request, "_request", request)
    user = authenticate(http_request, username=username, password=password)
    if getattr(http_request, "axes_locked_out", False):
        # Answered here, not by AxesMiddleware: callers render their own 429.
        http_request.axes_locked_out = False
        raise Throttled(
            retry_after=retry_after_seconds(
                username=username, ip_address=getattr(http_request, "axes_ip_address", None)
            )
        )
    if user is None or not user.is_active:
        raise NotAuthenticated(
            "Invalid username, password or tenant.", code=ErrorCode.INVALID_CREDENTIALS
        )
    return user


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """``AXES_LOCKOUT_CALLABLE``: the 429 for sign-ins outside the API (the admin's form)."""
    username = (credentials or {}).get("username") or ""
    retry_after = retry_after_seconds(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    )
    response = JsonResponse(
        {
            "code": ErrorCode.TOO_MANY_ATTEMPTS.value,
            "message": Throttled.default_message,
            "details": {"retry_after": retry_after},
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
