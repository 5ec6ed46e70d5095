"""The API toolkit every app's views share (SPEC §10): OpenAPI parameters and error-response
sets for ``@extend_schema``, and the list view base.

- :data:`IDEMPOTENCY_PARAM` — the ``Idempotency-Key`` header of command views (``@idempotent``);
- :func:`error_responses` / :data:`READ_ERRORS` / :data:`COMMAND_ERRORS` — error bodies
  (``{"code","message","details"}``) by status;
- :class:`TenantListView` — a paginated, CSV-exportable list or report.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from .serializers import error_responses

__all__ = [
    "COMMAND_ERRORS",
    "IDEMPOTENCY_PARAM",
    "READ_ERRORS",
    "error_responses",
]

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Apply at most once (SPEC §3.8): a repeat returns the first response with "
    "`Idempotent-Replayed: true`; the same key with another body is 422 "
    "`idempotency_key_reused`.",
)

#: Lists and reports: bad filters, no credentials, role or location refused.
READ_ERRORS = error_responses(400, 401, 403)
#: Commands: also unknown ids, conflicts (state, stock, versions) and idempotency reuse.
COMMAND_ERRORS = error_responses(400, 401, 403, 404, 409, 422)
