"""Domain errors: a code, an HTTP status and details (SPEC §10).

Every error the API returns is rendered by :mod:`storekeep.core.exceptions` as
``{"code": "...", "message": "...", "details": {...}}``.
"""

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    MALFORMED_REQUEST = "malformed_request"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_CREDENTIALS = "invalid_credentials"
    TENANT_REQUIRED = "tenant_required"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    STATEMENT_TIMEOUT = "statement_timeout"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    SERVER_ERROR = "server_error"
    CONFLICT = "conflict"
    INSUFFICIENT_STOCK = "insufficient_stock"
    VERSION_CONFLICT = "version_conflict"
    CONCURRENT_UPDATE = "concurrent_update"
    INVALID_STATE = "invalid_state"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    UNPROCESSABLE = "unprocessable"
    INACTIVE = "inactive"
    DUPLICATE = "duplicate"
    FRACTIONAL_QUANTITY = "fractional_quantity"


class DomainError(Exception):
    """Base of every error a service raises; rendered as-is by the API.

    ``headers`` (a property, empty by default) are HTTP headers the response carries.
    """

    status_code: int = 400
    default_code: str = ErrorCode.VALIDATION_ERROR
    default_message: str = "Invalid request."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
    ):
        self.message = message or self.default_message
        self.code = str(code or self.default_code)
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(DomainError):
    status_code = 400
    default_code = ErrorCode.VALIDATION_ERROR


class NotAuthenticated(DomainError):
    status_code = 401
    default_code = ErrorCode.NOT_AUTHENTICATED
    default_message = "Authentication credentials were not provided or are invalid."


class PermissionDenied(DomainError):
    status_code = 403
    default_code = ErrorCode.PERMISSION_DENIED
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    status_code = 404
    default_code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class Conflict(DomainError):
    status_code = 409
    default_code = ErrorCode.CONFLICT
    default_message = "The request conflicts with the current state."


class InvalidState(Conflict):
    """An illegal state-machine transition (e.g. receiving a DRAFT transfer)."""

    default_code = ErrorCode.INVALID_STATE
    default_message = "This operation is not allowed in the current state."


class InsufficientStock(Conflict):
    """SPEC §3.3: the operation would take on hand or available below zero.

    ``details["lines"]`` lists each short line:
    ``{"location_id", "variant_id", "sku", "requested", "on_hand", "available"}``.
    """

    default_code = ErrorCode.INSUFFICIENT_STOCK
    default_message = "Insufficient stock."


class VersionConflict(Conflict):
    default_code = ErrorCode.VERSION_CONFLICT
    default_message = "The item changed since you read it (version mismatch)."


class ConcurrentUpdate(Conflict):
    default_code = ErrorCode.CONCURRENT_UPDATE
    default_message = "The operation collided with a concurrent update; retry."


class Unprocessable(DomainError):
    status_code = 422
    default_code = ErrorCode.UNPROCESSABLE
    default_message = "The request is well-formed but cannot be processed."


class Throttled(DomainError):
    """Too many failed sign-ins for this username or client address (HTTP 429).

    ``details["retry_after"]`` (seconds) is also sent as the ``Retry-After`` header.
    """

    status_code = 429
    default_code = ErrorCode.TOO_MANY_ATTEMPTS
    default_message = "Too many failed sign-in attempts; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs):
        details = {"retry_after": int(retry_after), **(kwargs.pop("details", None) or {})}
        super().__init__(message, details=details, **kwargs)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}


class ServiceUnavailable(DomainError):
    """The database gave up on a statement (``statement_timeout``): HTTP 503 with ``Retry-After``."""

    status_code = 503
    default_code = ErrorCode.STATEMENT_TIMEOUT
    default_message = "The database took too long to answer; try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kwargs):
        details = {"retry_after": int(retry_after), **(kwargs.pop("details", None) or {})}
        super().__init__(message, details=details, **kwargs)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.details["retry_after"])}
