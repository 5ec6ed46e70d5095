"""``GET /api/v1/inventory/ledger``: the stock ledger with SPEC §9 filters (SPEC §9, §10).

Cursor pagination (newest first: ``created_at``, then ``id``, read through the
``(tenant, created_at, id)`` index from the date bound; ``LedgerCursorPagination``);
``?format=csv`` streams every matching row. A member assigned to some
locations sees only their rows. Query count does not depend on page size.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from storekeep.core.csv import FORMAT_PARAM, CSVRenderer, stream_csv, wants_csv
from storekeep.core.pagination import LedgerCursorPagination
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..selectors import ledger_list
from .serializers import LEDGER_COLUMNS, LedgerQuerySerializer, LedgerRowSerializer
from .stock import parse_query

#: ``values_list`` fields giving the CSV's ``LEDGER_COLUMNS`` in order (no model instances).
LEDGER_CSV_FIELDS = [
    {"location_code": "location__code", "sku": "variant__sku"}.get(column, column)
    for column in LEDGER_COLUMNS
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
            rows = queryset.order_by("-created_at", "-id").values_list(*LEDGER_CSV_FIELDS)
            return stream_csv(rows.iterator(chunk_size=2000), LEDGER_COLUMNS, "ledger.csv")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(LedgerRowSerializer(page, many=True).data)
