"""Request ids, the body size limit and 500s in the JSON error shape (SPEC §10)."""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger("storekeep.request")

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def too_large_response(request) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not is_api(request):
        return HttpResponse("Request body too large.", status=413, content_type="text/plain")
    return JsonResponse(
        {
            "code": "payload_too_large",
            "message": f"The request body is larger than {limit} bytes.",
            "details": {"max_bytes": limit},
        },
        status=413,
    )


class RequestIdMiddleware:
    """Gives every request an id (the client's ``X-Request-ID`` when sane, else a new one).

    ``request.request_id`` is echoed in the ``X-Request-ID`` response header, shown in a
    500's ``details.request_id`` and logged with its traceback, so a user's report can be
    matched to the log line.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class BodySizeLimitMiddleware:
    """A body declared larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` → 413, before anything reads it.

    Bodies without a declared length that turn out too large raise Django's
    ``RequestDataTooBig`` when read; ``process_exception`` answers those 413 too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return too_large_response(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return too_large_response(request)
        return None


def server_error(request) -> HttpResponse:
    """``handler500``: logs the traceback with the request id; JSON error shape under /api/."""
    request_id = getattr(request, "request_id", None) or uuid.uuid4().hex
    logger.error(
        "Unhandled error %s on %s %s", request_id, request.method, request.path, exc_info=True
    )
    if is_api(request):
        response = JsonResponse(
            {
                "code": "server_error",
                "message": "Internal error; quote the request id when reporting it.",
                "details": {"request_id": request_id},
            },
            status=500,
        )
    else:
        from django.views import defaults

        response = defaults.server_error(request)
    response[REQUEST_ID_HEADER] = request_id
    return response
