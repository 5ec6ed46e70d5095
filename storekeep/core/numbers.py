"""Quantities, unit costs and money: parsing and rounding, one implementation (SPEC §3.3, §5).

Quantities are ``Decimal(14,3)`` in a variant's stock unit, unit costs
``Decimal(14,4)`` and amounts ``Decimal(12,2)`` in the tenant currency.
Never float. Every parser raises ValidationFailed (400 ``validation_error``,
or the ``code`` given) with ``details = {field_name: [value]}``.

**How a number is written** (issue 9): a JSON number, or a string of ASCII
digits with an optional sign, decimal point and exponent (``"12"``, ``"-1.5"``,
``".5"``, ``"1e3"``) and nothing around it. Other digits (full-width ``"１"``,
Arabic-Indic ``"٣"``), spaces (``" 1 "``), ``NaN`` and infinities are refused
with a message naming the rule (:data:`NUMBER_RULE`). ``-0`` is read as ``0``,
so no negative zero is ever stored. The API's serializers read decimals with
``storekeep.core.serializers.DecimalField``, which applies this rule.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import ValidationFailed

ZERO = Decimal("0")
QTY_STEP = Decimal("0.001")
COST_STEP = Decimal("0.0001")
MONEY_STEP = Decimal("0.01")
MAX_QTY = Decimal("99999999999.999")  # Decimal(14,3)
MAX_COST = Decimal("9999999999.9999")  # Decimal(14,4)


#: What a number written as text may look like (ASCII only; nothing before or after it).
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
NUMBER_RULE = "a number written with ASCII digits 0-9 (optional sign, point, exponent), no spaces"


def number_problem(value) -> str | None:
    """Why ``value`` is not a number as the API reads it (a message tail), or None.

    Accepted: ``Decimal``, ``int`` (not ``bool``), finite ``float`` (JSON numbers), and
    text matching :data:`NUMBER_TEXT`.
    """
    if isinstance(value, bool):
        return f"must be {NUMBER_RULE}."
    if isinstance(value, Decimal):
        return None if value.is_finite() else "must be a finite number."
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if value == value and abs(value) != float("inf") else "must be a finite number."
    if isinstance(value, str) and NUMBER_TEXT.match(value):
        return None
    return f"must be {NUMBER_RULE}."


def unsigned_zero(value: Decimal) -> Decimal:
    """``-0`` (any scale) as ``0`` of the same scale; every other value unchanged."""
    return value.copy_abs() if value.is_zero() and value.is_signed() else value


def to_decimal(value, *, field_name: str) -> Decimal:
    """``value`` (Decimal, int, float or number text, see :func:`number_problem`) as a Decimal,
    ``-0`` as ``0``; 400 ``validation_error`` naming the rule otherwise."""
    problem = number_problem(value)
    if problem is None:
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except (InvalidOperation, ValueError, TypeError):
            problem = f"must be {NUMBER_RULE}."
        else:
            return unsigned_zero(number)
    raise ValidationFailed(f"{field_name} {problem}", details={field_name: [str(value)]})


def qty_problem(qty: Decimal, *, allow_zero: bool = False, allow_negative: bool = False):
    """Why ``qty`` is not a valid quantity (a message tail), or None when it is."""
    if not qty.is_finite():
        return "must be a finite number."
    if abs(qty) > MAX_QTY:  # before quantize: a huge exponent would overflow it
        return "is too large."
    if qty != qty.quantize(QTY_STEP):
        return "has more than 3 decimal places."
    if qty == 0 and not allow_zero:
        return "must not be zero."
    if qty < 0 and not allow_negative:
        return "must be positive."
    return None


def clean_qty(
    value, *, field_name: str = "qty", allow_zero: bool = False, allow_negative: bool = False
) -> Decimal:
    """Parse a quantity (stock units) into a Decimal with exactly 3 places.

    Raises ValidationFailed (400 ``validation_error``) for non-numbers, NaN or
    infinities, more than 3 decimals, values beyond ``Decimal(14,3)``, and zero
    or negative values unless allowed.
    """
    qty = to_decimal(value, field_name=field_name)
    problem = qty_problem(qty, allow_zero=allow_zero, allow_negative=allow_negative)
    if problem:
        raise ValidationFailed(f"{field_name} {problem}", details={field_name: [str(value)]})
    return unsigned_zero(qty.quantize(QTY_STEP))


def clean_cost(value, *, field_name: str = "unit_cost") -> Decimal | None:
    """Parse an optional unit cost (tenant currency per stock unit) into ``Decimal(14,4)``.

    ``None`` stays ``None``. Raises ValidationFailed (400 ``validation_error``)
    for non-numbers, negatives, values beyond ``Decimal(14,4)`` or more than 4
    decimals.
    """
    if value is None:
        return None
    cost = to_decimal(value, field_name=field_name)
    if not cost.is_finite() or cost < 0 or cost > MAX_COST:
        raise ValidationFailed(
            f"{field_name} must be between 0 and {MAX_COST}.", details={field_name: [str(value)]}
        )
    if cost != cost.quantize(COST_STEP):
        raise ValidationFailed(
            f"{field_name} has more than 4 decimal places.", details={field_name: [str(value)]}
        )
    return unsigned_zero(cost.quantize(COST_STEP))


def per_stock_unit(cost: Decimal | None, factor: Decimal) -> Decimal | None:
    """A cost per ``factor`` stock units (e.g. per case of 12) as a cost per stock unit (4 places)."""
    if cost is None:
        return None
    return (cost / factor).quantize(COST_STEP)


def money(value) -> Decimal:
    """An amount (None counts as zero) rounded half-even to the cent."""
    return (value or ZERO).quantize(MONEY_STEP)
