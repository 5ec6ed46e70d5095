"""``GET /api/v1/inventory/stock`` and ``/stock/{id}``: stock levels (SPEC §4, §9, §10).

Rows come from ``selectors.stock_level_list`` (available, threshold,
is_low_stock annotated). A member assigned to some locations sees only
theirs. ``?format=csv`` streams every matching row. The detail carries
``ETag: "<version>"`` for ``If-Match`` on absolute adjustments.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from storekeep.catalog.models import display_name_expression
from storekeep.core.csv import FORMAT_PARAM, CSVRenderer, quantizing, stream_csv, wants_csv
from storekeep.core.pagination import PageNumberPagination
from storekeep.core.query import parse_query
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..selectors import stock_level_list
from .serializers import STOCK_COLUMNS, StockQuerySerializer, StockRowSerializer

#: ``values_list`` fields giving the CSV's ``STOCK_COLUMNS`` in order (no model instances).
STOCK_CSV_FIELDS = [
    {
        "location_code": "location__code",
        "sku": "variant__sku",
        "name": "variant_display_name",
        "available": "available_qty",
    }.get(column, column)
    for column in STOCK_COLUMNS
]


def etag(version: int) -> str:
    return f'"{version}"'


class StockListView(TenantAPIView):
    read_role = Role.VIEWER
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    pagination_class = PageNumberPagination  # also documents the page (count/next/previous/results)

    @extend_schema(
        summary="Stock levels by location",
        parameters=[StockQuerySerializer, FORMAT_PARAM],
        responses={200: StockRowSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        filters = parse_query(StockQuerySerializer, request)
        allowed = self.membership.allowed_location_ids()
        if allowed is not None:
            filters["location_ids"] = sorted(allowed)
        queryset = stock_level_list(tenant=self.tenant, filters=filters)
        if wants_csv(request):
            rows = queryset.annotate(
                variant_display_name=display_name_expression("variant__")
            ).values_list(*STOCK_CSV_FIELDS)
            return stream_csv(
                rows.iterator(chunk_size=2000),
                STOCK_COLUMNS,
                "stock.csv",
                to_row=quantizing(STOCK_COLUMNS, {"available": 3, "threshold": 3}),
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(StockRowSerializer(page, many=True).data)


class StockDetailView(TenantAPIView):
    read_role = Role.VIEWER

    @extend_schema(
        summary="One stock level (ETag = version)",
        responses={
            200: OpenApiResponse(StockRowSerializer, description='With `ETag: "<version>"`.'),
            304: OpenApiResponse(description="`If-None-Match` matched the current version."),
            **error_responses(401, 403, 404),
        },
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def get(self, request, pk):
        item = self.resolve_object(stock_level_list(tenant=self.tenant), pk)
        tag = etag(item.version)
        if request.headers.get("If-None-Match", "").strip() == tag:
            response = Response(status=304)
        else:
            response = Response(StockRowSerializer(item).data)
        response["ETag"] = tag
        return response
