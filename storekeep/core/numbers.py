"""Quantities, unit costs and money: parsing and rounding, one implementation (SPEC §3.3, §5).

Quantities are ``Decimal(14,3)`` in a variant's stock unit, unit costs
``Decimal(14,4)`` and amounts ``Decimal(12,2)`` in the tenant currency.
Never float. Every parser raises ValidationFailed (400 ``validation_error``,
or the ``code`` given) with ``details = {field_name: [value]}``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .errors import ValidationFailed

ZERO = Decimal("0")
QTY_STEP = Decimal("0.001")
COST_STEP = Decimal("0.0001")
MONEY_STEP = Decimal("0.01")
MAX_QTY = Decimal("99999999999.999")  # Decimal(14,3)
MAX_COST = Decimal("9999999999.9999")  # Decimal(14,4)


def to_decimal(value, *, field_name: str) -> Decimal:
    """``value`` (Decimal, int or numeric string) as a Decimal; 400 "must be a number" otherwise."""
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(
            f"{field_name} must be a number.", details={field_name: [str(value)]}
        ) from None


def qty_problem(qty: Decimal, *, allow_zero: bool = False, allow_negative: bool = False):
    """Why ``qty`` is not a valid quantity (a message tail), or None when it is."""
    if not qty.is_finite():
        return "must be a finite number."
    if qty != qty.quantize(QTY_STEP):
        return "has more than 3 decimal places."
    if abs(qty) > MAX_QTY:
        return "is too large."
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
    return qty.quantize(QTY_STEP)


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
    return cost.quantize(COST_STEP)


def per_stock_unit(cost: Decimal | None, factor: Decimal) -> Decimal | None:
    """A cost per ``factor`` stock units (e.g. per case of 12) as a cost per stock unit (4 places)."""
    if cost is None:
        return None
    return (cost / factor).quantize(COST_STEP)


def money(value) -> Decimal:
    """An amount (None counts as zero) rounded half-even to the cent."""
    return (value or ZERO).quantize(MONEY_STEP)
