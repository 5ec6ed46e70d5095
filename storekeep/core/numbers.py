"""Quantities and money: parsing and rounding, one implementation (SPEC §3.3, §5).

Quantities are ``Decimal(14,3)`` in a variant's stock unit, amounts
``Decimal(12,2)`` in the tenant currency, unit costs ``Decimal(14,4)``.
Never float.
"""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal("0")
MONEY_STEP = Decimal("0.01")


def money(value) -> Decimal:
    """An amount (None counts as zero) rounded half-even to the cent."""
    return (value or ZERO).quantize(MONEY_STEP)
