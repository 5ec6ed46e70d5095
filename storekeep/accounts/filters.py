"""Filter set of the staff selector (issue 12 item 1)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from storekeep.core.filters import TenantFilterSet
from storekeep.tenants.models import Membership, Role


class StaffFilter(TenantFilterSet):
    """Members by role, active or not, and a search of username, name and email."""

    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Membership
        fields: list = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        words = Q()
        for word in value.split()[:5]:
            words &= (
                Q(user__username__icontains=word)
                | Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__email__icontains=word)
            )
        return queryset.filter(words)
