"""Reads of the point of sale: tenant-filtered querysets (STYLE: selectors)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet

from storekeep.core.errors import NotFound, ValidationFailed
from storekeep.pos.models import Register, RegisterSession, Return, ReturnLine, Sale, SaleLine


def tenant_zone(tenant) -> dt.tzinfo:
    try:
        return ZoneInfo(tenant.timezone or "UTC")
    except (KeyError, ValueError):
        return dt.UTC


def day_bounds(tenant, date_from: dt.date | None, date_to: dt.date | None):
    """[start, end) datetimes of a date range, in the tenant's time zone (inclusive dates)."""
    zone = tenant_zone(tenant)
    start = dt.datetime.combine(date_from, dt.time.min, zone) if date_from else None
    end = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, zone) if date_to else None
    )
    if start and end and start >= end:
        raise ValidationFailed(
            "date_from must not be after date_to.",
            details={"date_from": [str(date_from)], "date_to": [str(date_to)]},
        )
    return start, end


def register_list(*, tenant) -> QuerySet[Register]:
    open_sessions = RegisterSession.objects.filter(
        tenant=tenant, status=RegisterSession.Status.OPEN
    )
    registers = Register.objects.filter(tenant=tenant).order_by("location_id", "code")
    return registers.prefetch_related(
        Prefetch("sessions", queryset=open_sessions, to_attr="open_sessions")
    )


def sale_list(*, tenant, filters: dict | None = None) -> QuerySet[Sale]:
    """Sales of the tenant, newest first, filtered by ``location_id``, ``register_id``,
    ``session_id``, ``status``, ``source``, ``external_ref``, ``date_from``/``date_to``
    (tenant-local dates, inclusive) and ``search`` (receipt number or external ref)."""
    filters = filters or {}
    qs = Sale.objects.filter(tenant=tenant).select_related("register_session")
    if filters.get("location_id"):
        qs = qs.filter(location_id=filters["location_id"])
    if filters.get("register_id"):
        qs = qs.filter(register_session__register_id=filters["register_id"])
    if filters.get("session_id"):
        qs = qs.filter(register_session_id=filters["session_id"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("source"):
        qs = qs.filter(source=filters["source"])
    if filters.get("external_ref"):
        qs = qs.filter(external_ref=filters["external_ref"])
    start, end = day_bounds(tenant, filters.get("date_from"), filters.get("date_to"))
    if start:
        qs = qs.filter(completed_at__gte=start)
    if end:
        qs = qs.filter(completed_at__lt=end)
    if filters.get("search"):
        term = filters["search"]
        qs = qs.filter(Q(receipt_number__icontains=term) | Q(external_ref__icontains=term))
    return qs.order_by("-completed_at", "-id")


def sale_get(*, tenant, sale_id) -> Sale:
    """One sale with its lines (and variants) and payments; 404 for other tenants' ids."""
    sale = (
        Sale.objects.filter(tenant=tenant, pk=sale_id)
        .select_related("register_session")
        .prefetch_related(
            Prefetch(
                "lines", queryset=SaleLine.objects.select_related("variant").order_by("line_no")
            ),
            "payments",
        )
        .first()
    )
    if sale is None:
        raise NotFound("Sale not found.", details={"sale_id": sale_id})
    return sale


def return_list(*, tenant, filters: dict | None = None) -> QuerySet[Return]:
    filters = filters or {}
    qs = Return.objects.filter(tenant=tenant).prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.order_by("pk"), to_attr="line_list")
    )
    for key, field in (
        ("sale_id", "sale_id"),
        ("location_id", "location_id"),
        ("status", "status"),
        ("session_id", "register_session_id"),
    ):
        if filters.get(key):
            qs = qs.filter(**{field: filters[key]})
    return qs.order_by("-created_at", "-id")


def return_get(*, tenant, return_id) -> Return:
    ret = return_list(tenant=tenant).filter(pk=return_id).first()
    if ret is None:
        raise NotFound("Return not found.", details={"return_id": return_id})
    return ret
