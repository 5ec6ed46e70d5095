"""Helpers shared by the operational-inventory API modules (transfers, counts,
reorder, overview, purchasing, inventory reports): the error schema, common
error responses for ``@extend_schema``, and a paginated, CSV-exportable list base.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import generics, serializers
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from storekeep.core.csv import FORMAT_PARAM, CSVRenderer  # noqa: F401  (re-exported)
from storekeep.core.query import parse_query  # noqa: F401  (re-exported for the API modules)
from storekeep.core.views import TenantContextMixin

try:  # the API engineer may provide a shared one
    from storekeep.core.serializers import ErrorSerializer  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on what core ships

    class ErrorSerializer(serializers.Serializer):
        """Every error body: ``{"code", "message", "details"}`` (SPEC §10)."""

        code = serializers.CharField()
        message = serializers.CharField()
        details = serializers.DictField()


def errors(*statuses: int) -> dict:
    """``@extend_schema(responses=…)`` entries for the given error statuses."""
    text = {
        400: "Validation error",
        401: "Not authenticated",
        403: "Role or location not allowed",
        404: "Not found (or another tenant's id)",
        409: "Conflict: invalid state, stock or concurrency",
        422: "Unprocessable (e.g. Idempotency-Key reused)",
    }
    return {
        status: OpenApiResponse(ErrorSerializer, description=text[status]) for status in statuses
    }


READ_ERRORS = errors(400, 401, 403)
COMMAND_ERRORS = errors(400, 401, 403, 404, 409, 422)

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Applies the command at most once (SPEC §3.8)",
)


class TenantListView(TenantContextMixin, generics.GenericAPIView):
    """A paginated list/report that also renders ``?format=csv``."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends: list = []  # filters are parsed explicitly (query serializers)

    def location_scope(self, location_id=None) -> list[int] | None:
        """Location ids the request may read: the one asked for (403 if not allowed),
        else the member's locations (None = all)."""
        if location_id:
            self.check_location_access(location_id)
            return [int(location_id)]
        allowed = self.membership.allowed_location_ids()
        return None if allowed is None else sorted(allowed)
