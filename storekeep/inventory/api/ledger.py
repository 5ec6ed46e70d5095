"""``GET /api/v1/inventory/ledger``: the stock ledger with SPEC §9 filters (SPEC §9, §10);
``GET /api/v1/inventory/ledger/{id}``: one row (issue 15 item 4).

Cursor pagination (newest first: ``created_at``, then ``id``, read through the
``(tenant, created_at, id)`` index from the date bound; ``LedgerCursorPagination``);
``?format=csv`` streams every matching row. A member assigned to some
locations sees only their rows. Query count does not depend on page size.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from storekeep.core.csv import FORMAT_PARAM, CSVRenderer, stream_values, wants_csv
from storekeep.core.pagination import LedgerCursorPagination
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..selectors import ledger_get, ledger_list
from .serializers import LEDGER_COLUMNS, LedgerQuerySerializer, LedgerRowSerializer
from .stock import parse_query

#: ``values_list`` fields giving the CSV's ``LEDGER_COLUMNS`` in order (no model instances).
LEDGER_CSV_FIELDS = [
    {"location_code": "location__code", "sku": "variant__sku"}.get(column, column)
    for column in LEDGER_COLUMNS
]


_QTY_STEP = Decimal("0.001")
_COST_STEP = Decimal("0.0001")


def _decimal(value, step) -> str | None:
    return None if value is None else format(value.quantize(step), "f")


def _datetime(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ledger_rows(rows) -> list[dict]:
    """The JSON rows :class:`LedgerRowSerializer` writes, built from ``values(*LEDGER_CSV_FIELDS)``
    dicts (no model instances, no per-field serializer calls; equality is tested)."""
    return [
        {
            "id": row["id"],
            "location_id": row["location_id"],
            "location_code": row["location__code"],
            "variant_id": row["variant_id"],
            "sku": row["variant__sku"],
            "lot_id": row["lot_id"],
            "ref_type": row["ref_type"],
            "ref_id": row["ref_id"],
            "qty_delta": _decimal(row["qty_delta"], _QTY_STEP),
            "balance_after": _decimal(row["balance_after"], _QTY_STEP),
            "unit_cost": _decimal(row["unit_cost"], _COST_STEP),
            "reason": row["reason"],
            "note": row["note"],
            "actor_id": row["actor_id"],
            "created_at": _datetime(row["created_at"]),
        }
        for row in rows
    ]


class LedgerListView(TenantAPIView):
    read_role = Role.VIEWER
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    pagination_class = LedgerCursorPagination

    @extend_schema(
        summary="Stock ledger (newest first, cursor pagination)",
        parameters=[
            LedgerQuerySerializer,
            FORMAT_PARAM,
            OpenApiParameter("cursor", str, description="opaque cursor from `next`/`previous`"),
            OpenApiParameter("page_size", int, description="rows per page (≤ 1000, default 100)"),
        ],
        responses={200: LedgerRowSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = parse_query(LedgerQuerySerializer, request)
        allowed = self.membership.allowed_location_ids()
        queryset = ledger_list(
            tenant=self.tenant,
            filters=filters,
            location_ids=sorted(allowed) if allowed is not None else None,
        )
        if wants_csv(request):
            ordered = queryset.order_by("-created_at", "-id")
            return stream_values(ordered, LEDGER_CSV_FIELDS, LEDGER_COLUMNS, "ledger.csv")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset.values(*LEDGER_CSV_FIELDS), request, view=self)
        return paginator.get_paginated_response(ledger_rows(page))


class LedgerDetailView(TenantAPIView):
    """One ledger row (VIEWER+): 404 for another tenant's id, 403 for a location the member
    is not assigned to."""

    read_role = Role.VIEWER

    @extend_schema(
        summary="One stock ledger row",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: LedgerRowSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk):
        row = self.resolve_object(lambda pk: ledger_get(tenant=self.tenant, ledger_id=pk), pk)
        return Response(LedgerRowSerializer(row).data)
