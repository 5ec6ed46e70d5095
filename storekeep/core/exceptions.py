"""One exception handler renders every error as ``{"code", "message", "details"}`` (SPEC §10)."""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .errors import ConcurrentUpdate, DomainError, ErrorCode, ServiceUnavailable

logger = logging.getLogger("storekeep.api")

_DRF_CODES = [
    (drf.ParseError, ErrorCode.MALFORMED_REQUEST),
    (drf.ValidationError, ErrorCode.VALIDATION_ERROR),
    (drf.AuthenticationFailed, ErrorCode.NOT_AUTHENTICATED),
    (drf.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED),
    (drf.PermissionDenied, ErrorCode.PERMISSION_DENIED),
    (drf.NotFound, ErrorCode.NOT_FOUND),
    (drf.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (drf.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (drf.NotAcceptable, ErrorCode.VALIDATION_ERROR),
    (drf.Throttled, ErrorCode.THROTTLED),
]


def error_response(status: int, code: str, message: str, details=None, headers=None) -> Response:
    return Response(
        {"code": str(code), "message": message, "details": details or {}},
        status=status,
        headers=headers,
    )


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key == "non_field_errors" else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _db_timeout(exc: OperationalError) -> DomainError | None:
    """PostgreSQL's lock timeout → 409 ``concurrent_update``; statement timeout → 503."""
    sqlstate = getattr(exc.__cause__ or exc, "sqlstate", None)
    if sqlstate == "55P03":  # lock_not_available (lock_timeout, NOWAIT)
        return ConcurrentUpdate(details={"reason": "lock_timeout"})
    if sqlstate == "57014":  # query_canceled (statement_timeout)
        return ServiceUnavailable(retry_after=settings.STOREKEEP_RETRY_AFTER_SECONDS)
    return None


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        return error_response(
            exc.status_code, exc.code, exc.message, exc.details, exc.headers or None
        )
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        set_rollback()
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return error_response(400, ErrorCode.VALIDATION_ERROR, _first_message(details), details)
    elif isinstance(exc, OperationalError) and (timeout := _db_timeout(exc)) is not None:
        set_rollback()
        return error_response(
            timeout.status_code, timeout.code, timeout.message, timeout.details, timeout.headers
        )
    elif isinstance(exc, (DataError, OverflowError)):
        # PostgreSQL refuses an out-of-range value (DataError); SQLite's driver cannot
        # even bind an integer beyond 64 bits (OverflowError): the same 400 on both.
        set_rollback()
        return error_response(400, ErrorCode.VALIDATION_ERROR, "A value is out of range.", {})
    elif isinstance(exc, IntegrityError):
        set_rollback()
        logger.info("integrity error rendered as 409: %s", exc)
        return error_response(
            409, ErrorCode.CONFLICT, "The request conflicts with existing data.", {}
        )

    if isinstance(exc, drf.APIException):
        set_rollback()
        code = next(
            (c for cls, c in _DRF_CODES if isinstance(exc, cls)), ErrorCode.VALIDATION_ERROR
        )
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail
        if isinstance(exc, drf.ValidationError):
            details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
            message = _first_message(details)
        else:
            details = {}
            message = str(detail)
        return error_response(exc.status_code, code, message, details, headers or None)
    return None
