"""Stock rules that exist both in Python and in SQL, written side by side (SPEC §4, §9).

Each rule has a Python form (for rows already in memory: the engine) and a
SQL form (an expression for querysets: the selectors). Change one, change the
other next to it; ``inventory/tests/test_rules.py`` checks that they agree.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from storekeep.core.numbers import money

ZERO = Decimal("0")
QTY_FIELD = DecimalField(max_digits=14, decimal_places=3)
#: on hand (14,3) × unit cost (14,4): exact, before rounding to money.
VALUE_FIELD = DecimalField(max_digits=28, decimal_places=7)


# --- low-stock threshold: item override → variant reorder point → tenant default → 0 (SPEC §4)


def resolve_threshold(item, variant, tenant) -> Decimal:
    """The low-stock threshold of ``item`` (an InventoryItem of ``variant``), in stock units."""
    for value in (item.reorder_point, variant.reorder_point, tenant.default_reorder_point):
        if value is not None:
            return value
    return ZERO


def threshold_expression(tenant, prefix: str = ""):
    """SQL form of :func:`resolve_threshold` over InventoryItem rows (``prefix`` = path to the item)."""
    return Coalesce(
        F(f"{prefix}reorder_point"),
        F(f"{prefix}variant__reorder_point"),
        Value(tenant.default_reorder_point if tenant.default_reorder_point is not None else ZERO),
        output_field=QTY_FIELD,
    )


# --- available and "is low": available = on hand − reserved; low when available ≤ threshold


def is_low_stock(available: Decimal, threshold: Decimal) -> bool:
    """An item is low when its available quantity is at or under its threshold (SPEC §4)."""
    return available <= threshold


def available_expression(prefix: str = ""):
    """SQL form of ``on_hand − reserved``."""
    return ExpressionWrapper(F(f"{prefix}on_hand") - F(f"{prefix}reserved"), output_field=QTY_FIELD)


def is_low_stock_expression(available: str = "available_qty", threshold: str = "threshold"):
    """SQL form of :func:`is_low_stock` over two annotations."""
    return Case(
        When(**{f"{available}__lte": F(threshold)}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


# --- stock value: on hand × moving-average unit cost, rounded to the cent (SPEC §9)


def stock_value(on_hand: Decimal, avg_unit_cost: Decimal) -> Decimal:
    """Value of one item's stock in the tenant currency, rounded to 0.01."""
    return money(on_hand * avg_unit_cost)


def stock_value_expression(prefix: str = ""):
    """SQL form of on hand × average cost (unrounded: sum it, then :func:`money`)."""
    return ExpressionWrapper(
        F(f"{prefix}on_hand") * F(f"{prefix}avg_unit_cost"), output_field=VALUE_FIELD
    )
