"""Serializer output without DRF's per-field dispatch, for hot paths (issue 11).

:func:`plain_row` gives what ``Serializer(row).data`` gives (and :func:`plain_rows`
what ``Serializer(rows, many=True).data`` gives), with one converter per field
compiled once per serializer class: integers, text and decimals (DRF's rounding
and ``"{:f}"`` text) are converted directly, nested serializers by their own plan,
every other field by its own ``to_representation``. Rows are dicts keyed by each
field's source (``sale_id``, …) or objects; a key a dict lacks, or a dotted source,
is read by the field itself (``get_attribute``: defaults, ``required=False``), so
the output never differs (equality with ``.data`` is tested per field kind in
``core/tests/test_rows.py`` and on real receipts and reports). The serializer stays
the OpenAPI document's source. A ``SerializerMethodField`` needs the object, so a
serializer with one is refused (``TypeError``).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from django.db import models
from rest_framework import serializers
from rest_framework.settings import api_settings

# serializer class → [(output name, dict key or None, field, converter)]
_PLANS: dict[type, list[tuple[str, str | None, serializers.Field, Callable]]] = {}


def _decimal(field: serializers.DecimalField) -> Callable:
    """``field.to_representation`` for a Decimal, with its quantum and context made once."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        return field.to_representation
    step = Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()  # as DRF's DecimalField.quantize
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def convert(value):
        if not isinstance(value, Decimal):
            return field.to_representation(value)
        return f"{value.quantize(step, rounding=rounding, context=context):f}"

    return convert


def _converter(field) -> Callable:
    if isinstance(field, serializers.ListSerializer) and isinstance(
        field.child, serializers.Serializer
    ):
        child = _plan(type(field.child), field.child)

        def convert_many(value):
            if isinstance(value, models.manager.BaseManager):
                value = value.all()
            return [_row(child, item) for item in value]

        return convert_many
    if isinstance(field, serializers.SerializerMethodField):
        raise TypeError(f"{field.field_name}: a SerializerMethodField needs the object")
    if isinstance(field, serializers.Serializer):
        nested = _plan(type(field), field)
        return lambda value: _row(nested, value)
    if type(field) is serializers.IntegerField:
        return int
    if type(field) is serializers.CharField:
        return str
    if isinstance(field, serializers.DecimalField) and (
        type(field).to_representation is serializers.DecimalField.to_representation
    ):
        return _decimal(field)
    return field.to_representation


def _plan(serializer_class, instance=None) -> list:
    plan = _PLANS.get(serializer_class)
    if plan is None:
        if serializer_class.to_representation is not serializers.Serializer.to_representation:
            raise TypeError(f"{serializer_class.__name__} has its own to_representation")
        serializer = instance if instance is not None else serializer_class()
        plan = []
        for field in serializer._readable_fields:
            simple = len(field.source_attrs) == 1 and field.source != "*"
            key = field.source_attrs[0] if simple else None
            plan.append((field.field_name, key, field, _converter(field)))
        _PLANS[serializer_class] = plan
    return plan


def _row(plan, row) -> dict:
    out = {}
    mapping = isinstance(row, Mapping)
    for name, key, field, convert in plan:
        if mapping and key is not None and key in row:
            value = row[key]
        else:
            try:
                value = field.get_attribute(row)
            except serializers.SkipField:
                continue
        out[name] = None if value is None else convert(value)
    return out


def plain_row(serializer_class, row) -> dict:
    """``serializer_class(row).data`` (a plain dict), without DRF's per-field dispatch."""
    return _row(_plan(serializer_class), row)


def plain_rows(serializer_class, rows: Iterable) -> list[dict]:
    """``serializer_class(rows, many=True).data`` (plain dicts), likewise."""
    plan = _plan(serializer_class)
    return [_row(plan, row) for row in rows]
