"""``GET /api/v1/inventory/ledger``: the stock ledger with SPEC §9 filters (SPEC §9, §10).

Cursor pagination (newest first, ``core.pagination.LedgerCursorPagination``);
``?format=csv`` streams every matching row. A member assigned to some
locations sees only their rows. Query count does not depend on page size.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from storekeep.core.errors import ValidationFailed
from storekeep.core.pagination import LedgerCursorPagination
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView
from storekeep.tenants.models import Role

from ..models import StockLedger
from .exports import StreamingCSVRenderer, stream_csv, wants_csv
from .serializers import LEDGER_COLUMNS, LedgerQuerySerializer, LedgerRowSerializer
from .stock import FORMAT_PARAM, parse_query


def _tenant_zone(tenant):
    try:
        return ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def parse_bound(value: str, *, field: str, zone, end: bool) -> datetime:
    """An ISO date-time, or a date: local midnight (``end``: the next midnight, so the day is included)."""
    try:
        moment = parse_datetime(value)
        day = None if moment else parse_date(value)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise ValidationFailed(
            f"{field} must be an ISO date or date-time.", details={field: [value]}
        )
    if moment is None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def ledger_list(*, tenant, filters: dict, location_ids=None):
    """The tenant's ledger rows (``variant`` and ``location`` joined) filtered per SPEC §9."""
    queryset = StockLedger.objects.filter(tenant=tenant).select_related("variant", "location")
    if location_ids is not None:
        queryset = queryset.filter(location_id__in=location_ids)
    for key in ("location_id", "variant_id", "ref_type", "ref_id"):
        if filters.get(key):
            queryset = queryset.filter(**{key: filters[key]})
    zone = _tenant_zone(tenant)
    if filters.get("date_from"):
        queryset = queryset.filter(
            created_at__gte=parse_bound(
                filters["date_from"], field="date_from", zone=zone, end=False
            )
        )
    if filters.get("date_to"):
        queryset = queryset.filter(
            created_at__lt=parse_bound(filters["date_to"], field="date_to", zone=zone, end=True)
        )
    if filters.get("search"):
        term = filters["search"]
        queryset = queryset.filter(
            Q(variant__sku__icontains=term) | Q(note__icontains=term) | Q(ref_id=term)
        )
    return queryset


class LedgerListView(TenantAPIView):
    read_role = Role.VIEWER
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, StreamingCSVRenderer]
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
            return stream_csv(
                queryset.order_by("-id").iterator(chunk_size=2000),
                LEDGER_COLUMNS,
                LedgerRowSerializer().to_representation,
                "ledger.csv",
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(LedgerRowSerializer(page, many=True).data)
