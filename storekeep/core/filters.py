"""django-filter building blocks shared by the selectors' filter sets (SPEC §9, §10).

A selector takes ``filters`` as a plain mapping: the validated query of an API
view (Python values) or a form's raw ``GET`` (strings). :func:`filter_queryset`
runs the selector's :class:`TenantFilterSet` over it: blank values mean "no
filter", keys the filter set does not declare are ignored, and a value it
cannot read is a 400 ``validation_error`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django import forms
from django.db.models import QuerySet

from .errors import ValidationFailed

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """An integer id (1 … 2⁶³−1)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdListField(forms.Field):
    """Ids as a list (``[1, 2]``) or a comma-separated string (``"1,2"``)."""

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, (list, tuple, set)) and not value:
            return []
        items = value.split(",") if isinstance(value, str) else value
        try:
            ids = [int(str(item).strip()) for item in items]
        except (TypeError, ValueError):
            raise forms.ValidationError("Enter a list of ids.") from None
        if any(not 1 <= pk <= MAX_ID for pk in ids):
            raise forms.ValidationError("Ids are between 1 and 2^63−1.")
        return ids


class IdListFilter(django_filters.Filter):
    """``field__in`` a list of ids; an explicitly empty list matches nothing."""

    field_class = IdListField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class StableOrderingFilter(django_filters.OrderingFilter):
    """``?ordering=name`` / ``-name`` over the declared public names, then ``pk`` (pages stay
    stable when values tie). An undeclared name makes the filter set invalid: 400
    ``validation_error`` naming ``ordering`` (issue 15 item 4)."""

    def filter(self, qs, value):
        if not value:
            return qs
        fields = [self.get_ordering_value(param) for param in value if param]
        return qs.order_by(*fields, "pk") if fields else qs

    @staticmethod
    def choices_of(fields: dict[str, str]) -> list[str]:
        """The accepted values for ``fields`` (``{model field: public name}``): each name,
        ascending and descending — for a query serializer's ``ChoiceField``."""
        return [choice for name in fields.values() for choice in (name, f"-{name}")]


class TenantFilterSet(django_filters.FilterSet):
    """A filter set that knows the tenant (for tenant-local dates and tenant defaults)."""

    def __init__(self, data=None, queryset=None, *, tenant=None, **kwargs):
        self.tenant = tenant
        super().__init__(data, queryset, **kwargs)


def filter_queryset(
    filterset_class: type[django_filters.FilterSet],
    queryset: QuerySet,
    filters: Mapping | None,
    **kwargs,
) -> QuerySet:
    """``queryset`` narrowed by ``filterset_class`` over ``filters`` (see the module docstring).

    Raises ValidationFailed (400 ``validation_error``, ``details`` = field errors).
    """
    data = {key: value for key, value in (filters or {}).items() if not _blank(value)}
    filterset = filterset_class(data, queryset, **kwargs)
    if not filterset.is_valid():
        raise ValidationFailed(
            "Invalid query parameters.",
            details={field: list(errors) for field, errors in filterset.errors.items()},
        )
    return filterset.qs


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")
