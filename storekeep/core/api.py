"""The API toolkit every app's views share (SPEC §10): OpenAPI parameters and error-response
sets for ``@extend_schema``, and the list view base.

- :data:`IDEMPOTENCY_PARAM` — the ``Idempotency-Key`` header of command views (``@idempotent``);
- :func:`error_responses` / :data:`READ_ERRORS` / :data:`COMMAND_ERRORS` — error bodies
  (``{"code","message","details"}``) by status;
- :data:`FORMAT_PARAM` — ``?format=json|csv`` of lists (one CSV renderer, :mod:`storekeep.core.csv`);
- :func:`parse_query` — a query serializer's validated filters (400 on bad ones);
- :class:`TenantListView` — a paginated, CSV-exportable list or report.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from .csv import FORMAT_PARAM, CSVRenderer
from .query import parse_query
from .serializers import error_responses
from .views import TenantContextMixin

__all__ = [
    "COMMAND_ERRORS",
    "FORMAT_PARAM",
    "IDEMPOTENCY_PARAM",
    "READ_ERRORS",
    "TenantListView",
    "error_responses",
    "parse_query",
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


class TenantListView(TenantContextMixin, generics.GenericAPIView):
    """A paginated list or report of the request's tenant that also renders ``?format=csv``.

    Filters are parsed explicitly (a query serializer through :func:`parse_query`, or a
    selector's FilterSet), so no DRF filter backend runs.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends: list = []

    def location_scope(self, location_id=None) -> list[int] | None:
        """Location ids the request may read: the one asked for (403 if not allowed),
        else the member's locations (None = all)."""
        if location_id:
            self.check_location_access(location_id)
            return [int(location_id)]
        allowed = self.membership.allowed_location_ids()
        return None if allowed is None else sorted(allowed)
