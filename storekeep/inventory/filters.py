"""Filter sets of the inventory selectors (SPEC §9): one per list, applied by ``selectors``."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime

from storekeep.catalog.models import Variant
from storekeep.core.errors import ValidationFailed
from storekeep.core.filters import IdFilter, IdListFilter, StableOrderingFilter, TenantFilterSet

from .models import (
    CountSession,
    InventoryItem,
    InventoryTransfer,
    LedgerRefType,
    LowStockAlert,
    Reservation,
    StockLedger,
)

#: ``?ordering=`` of the stock list: model expression → public name (issue 15 item 4).
STOCK_ORDERING = {
    "available_qty": "available",
    "on_hand": "on_hand",
    "reserved": "reserved",
    "threshold": "threshold",
    "variant__sku": "sku",
    "location__code": "location",
    "last_movement_at": "last_movement_at",
    "id": "id",
}


class StockLevelFilter(TenantFilterSet):
    """Filters of ``stock_level_list`` (runs after ``is_low_stock`` is annotated)."""

    location_id = IdFilter(field_name="location_id")
    variant_id = IdFilter(field_name="variant_id")
    variant_ids = IdListFilter(field_name="variant_id")
    category = IdFilter(field_name="variant__product__category_id")
    search = django_filters.CharFilter(method="filter_search")
    low_stock = django_filters.BooleanFilter(field_name="is_low_stock")
    ordering = StableOrderingFilter(fields=tuple(STOCK_ORDERING.items()))

    class Meta:
        model = InventoryItem
        fields: list = []

    def filter_search(self, queryset, name, value):
        """SKU or name contains ``value``, or the barcode is ``value``."""
        return queryset.filter(
            Q(variant__sku__icontains=value)
            | Q(variant__barcode=value)
            | Q(variant__product__name__icontains=value)
            | Q(variant__name__icontains=value)
        )


class StockSummaryFilter(TenantFilterSet):
    """Filters of ``stock_summary_list`` (over variants); ``low_ids`` gives the low variants."""

    category = IdFilter(field_name="product__category_id")
    search = django_filters.CharFilter(method="filter_search")
    low_stock = django_filters.BooleanFilter(method="filter_low_stock")

    class Meta:
        model = Variant
        fields: list = []

    def __init__(self, *args, low_ids=None, **kwargs):
        self.low_ids = low_ids
        super().__init__(*args, **kwargs)

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(sku__icontains=value)
            | Q(barcode=value)
            | Q(product__name__icontains=value)
            | Q(name__icontains=value)
        )

    def filter_low_stock(self, queryset, name, value):
        low = self.low_ids()
        return queryset.filter(pk__in=low) if value else queryset.exclude(pk__in=low)


class TransferFilter(TenantFilterSet):
    status = django_filters.ChoiceFilter(choices=InventoryTransfer.Status.choices)
    location_id = IdFilter(method="filter_location", help_text="source or destination")
    from_location_id = IdFilter(field_name="from_location_id")
    to_location_id = IdFilter(field_name="to_location_id")

    class Meta:
        model = InventoryTransfer
        fields: list = []

    def filter_location(self, queryset, name, value):
        return queryset.filter(Q(from_location_id=value) | Q(to_location_id=value))


class CountFilter(TenantFilterSet):
    status = django_filters.ChoiceFilter(choices=CountSession.Status.choices)
    scope = django_filters.ChoiceFilter(choices=CountSession.Scope.choices)
    location_id = IdFilter(field_name="location_id")

    class Meta:
        model = CountSession
        fields: list = []


class TenantDateRangeMixin:
    """``date_from``/``date_to`` as inclusive tenant-local dates over ``date_field``."""

    date_field = "created_at"

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": self.tenant.day_start(value)})

    def filter_date_to(self, queryset, name, value):
        end = self.tenant.day_start(value + timedelta(days=1))
        return queryset.filter(**{f"{self.date_field}__lt": end})


class LowStockAlertFilter(TenantDateRangeMixin, TenantFilterSet):
    location_id = IdFilter(field_name="location_id")
    variant_id = IdFilter(field_name="variant_id")
    date_from = django_filters.DateFilter(method="filter_date_from")
    date_to = django_filters.DateFilter(method="filter_date_to")
    acknowledged = django_filters.BooleanFilter(method="filter_acknowledged")

    class Meta:
        model = LowStockAlert
        fields: list = []

    def filter_acknowledged(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=not value)


class MomentField(forms.CharField):
    """An ISO date-time, or a date (kept as a ``date``: a whole tenant-local day).

    A date is read first: ``parse_datetime`` also reads ``2026-03-14`` (as
    midnight), which would make ``date_to=D`` exclude the day D (issue 9).
    """

    def to_python(self, value):
        if isinstance(value, datetime):
            return value
        if hasattr(value, "isoformat") and not isinstance(value, str):
            return value
        value = super().to_python(value)
        if not value:
            return None
        try:
            day = parse_date(value)
            moment = None if day else parse_datetime(value)
        except ValueError:
            moment = day = None
        if moment is None and day is None:
            raise forms.ValidationError("Must be an ISO date or date-time.")
        return moment or day


class MomentFilter(django_filters.Filter):
    field_class = MomentField


class LedgerFilter(TenantFilterSet):
    """Ledger filters (SPEC §9); a date bound is a local midnight, a date-time is exact."""

    location_id = IdFilter(field_name="location_id")
    variant_id = IdFilter(field_name="variant_id")
    ref_type = django_filters.ChoiceFilter(choices=LedgerRefType.choices)
    ref_id = django_filters.CharFilter(field_name="ref_id")
    date_from = MomentFilter(method="filter_date_from")
    date_to = MomentFilter(method="filter_date_to")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = StockLedger
        fields: list = []

    def _bound(self, value, *, end: bool) -> datetime:
        """A date-time as given (naive: tenant-local); a date as its tenant-local day's start,
        or (``end``) the next day's start, so ``date_to`` includes the whole day
        (``Tenant.day_bounds``, as the other lists)."""
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=self.tenant.zone)
        start, stop = self.tenant.day_bounds(value, value)
        return stop if end else start

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=self._bound(value, end=False))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=self._bound(value, end=True))

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(variant__sku__icontains=value) | Q(note__icontains=value) | Q(ref_id=value)
        )

    def is_valid(self):
        valid = super().is_valid()
        if not valid:
            for field in ("date_from", "date_to"):
                if field in self.errors:
                    raise ValidationFailed(
                        f"{field} must be an ISO date or date-time.",
                        details={field: [str(self.data.get(field))]},
                    )
        return valid


class ReservationFilter(TenantFilterSet):
    """Filters of ``reservation_list`` (issue 15 item 1): ``expires_before`` / ``expires_after``
    take an ISO date-time (exact) or date (local midnight)."""

    status = django_filters.ChoiceFilter(choices=Reservation.Status.choices)
    order_ref = django_filters.CharFilter(field_name="order_ref")
    location_id = IdFilter(field_name="location_id")
    variant_id = IdFilter(field_name="variant_id")
    expires_before = MomentFilter(method="filter_expires_before")
    expires_after = MomentFilter(method="filter_expires_after")

    class Meta:
        model = Reservation
        fields: list = []

    def _moment(self, value) -> datetime:
        if not isinstance(value, datetime):
            return self.tenant.day_start(value)
        return value if value.tzinfo else value.replace(tzinfo=self.tenant.zone)

    def filter_expires_before(self, queryset, name, value):
        return queryset.filter(expires_at__lt=self._moment(value))

    def filter_expires_after(self, queryset, name, value):
        return queryset.filter(expires_at__gte=self._moment(value))
