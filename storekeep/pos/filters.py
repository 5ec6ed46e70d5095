"""Filter sets of the point-of-sale selectors (SPEC §5, §9)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Q

from storekeep.core.errors import ValidationFailed
from storekeep.core.filters import IdFilter, TenantFilterSet

from .models import Register, Return, Sale


class RegisterFilter(TenantFilterSet):
    location_id = IdFilter(field_name="location_id", min_value=None)

    class Meta:
        model = Register
        fields: list = []


class SaleFilter(TenantFilterSet):
    """Sales by place, status, source, reference, tenant-local completion dates or search."""

    location_id = IdFilter(field_name="location_id")
    register_id = IdFilter(field_name="register_session__register_id")
    session_id = IdFilter(field_name="register_session_id")
    cashier_id = IdFilter(field_name="cashier_id")
    status = django_filters.ChoiceFilter(choices=Sale.Status.choices)
    source = django_filters.ChoiceFilter(choices=Sale.Source.choices)
    external_ref = django_filters.CharFilter(field_name="external_ref")
    date_from = django_filters.DateFilter(method="filter_date_from")
    date_to = django_filters.DateFilter(method="filter_date_to")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Sale
        fields: list = []

    def filter_queryset(self, queryset):
        date_from = self.form.cleaned_data.get("date_from")
        date_to = self.form.cleaned_data.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise ValidationFailed(
                "date_from must not be after date_to.",
                details={"date_from": [str(date_from)], "date_to": [str(date_to)]},
            )
        return super().filter_queryset(queryset)

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(completed_at__gte=self.tenant.day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(completed_at__lt=self.tenant.day_start(value + timedelta(days=1)))

    def filter_search(self, queryset, name, value):
        """Receipt number or external reference contains ``value``."""
        return queryset.filter(
            Q(receipt_number__icontains=value) | Q(external_ref__icontains=value)
        )


class ReturnFilter(TenantFilterSet):
    sale_id = IdFilter(field_name="sale_id")
    location_id = IdFilter(field_name="location_id")
    session_id = IdFilter(field_name="register_session_id")
    cashier_id = IdFilter(field_name="cashier_id")
    status = django_filters.ChoiceFilter(choices=Return.Status.choices)

    class Meta:
        model = Return
        fields: list = []
