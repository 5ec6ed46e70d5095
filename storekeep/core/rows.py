"""Read-only serializer output without per-field DRF calls (issue 11 item 2).

:func:`plain_rows` gives what ``Serializer(rows, many=True).data`` gives for
dict rows, with one converter per field compiled once per serializer class:
integers, text, booleans and decimals (DRF's rounding and ``"{:f}"`` text),
nested ``many=True`` serializers of those. A serializer with any other kind of
field (or a ``source`` other than its name) is serialized by DRF itself, so the
output never differs; equality is tested per field kind.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal

from rest_framework import serializers
from rest_framework.settings import api_settings

_compiled: dict[type, list[tuple[str, Callable]]] = {}


def _boolean(field: serializers.BooleanField) -> Callable:
    def convert(value):
        if value in field.TRUE_VALUES:
            return True
        if value in field.FALSE_VALUES:
            return False
        if value in field.NULL_VALUES and field.allow_null:
            return None
        return bool(value)

    return convert


def _decimal(field: serializers.DecimalField) -> Callable | None:
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        return None
    step = Decimal(".1") ** field.decimal_places
    rounding, prec = field.rounding, field.max_digits

    def convert(value):
        if not isinstance(value, Decimal):
            value = Decimal(str(value).strip())
        context = decimal.getcontext().copy()  # as DRF's DecimalField.quantize
        if prec is not None:
            context.prec = prec
        return f"{value.quantize(step, rounding=rounding, context=context):f}"

    return convert


def _converter(field) -> Callable:
    if isinstance(field, serializers.ListSerializer) and isinstance(
        field.child, serializers.Serializer
    ):
        child = _compile(type(field.child))
        if list(field.child.fields) != [name for name, _ in child]:
            raise TypeError(f"{type(field.child).__name__}: built with other fields")
        return lambda value: [_row(child, item) for item in value]
    if isinstance(field, serializers.SerializerMethodField):
        raise TypeError(f"{field.field_name}: a SerializerMethodField needs the object")
    if isinstance(field, serializers.BooleanField):
        return _boolean(field)
    if isinstance(field, serializers.DecimalField):
        return _decimal(field) or field.to_representation
    if type(field) is serializers.IntegerField:
        return int
    if type(field) is serializers.CharField:
        return str
    return field.to_representation


def _compile(serializer_class) -> list[tuple[str, Callable]]:
    compiled = _compiled.get(serializer_class)
    if compiled is None:
        fields = serializer_class().fields.items()
        compiled = [(name, _converter(field)) for name, field in fields if not field.write_only]
        _compiled[serializer_class] = compiled
    return compiled


def _row(fields: list[tuple[str, Callable]], row: dict) -> dict:
    out = {}
    for name, convert in fields:
        value = row[name]
        out[name] = None if value is None else convert(value)
    return out


def plain_rows(serializer_class, rows) -> list[dict]:
    """``serializer_class(objects, many=True).data`` from dict rows keyed by field name."""
    fields = _compile(serializer_class)
    return [_row(fields, row) for row in rows]


def plain_row(serializer_class, row: dict) -> dict:
    """``serializer_class(obj).data`` from one dict row keyed by field name."""
    return _row(_compile(serializer_class), row)
