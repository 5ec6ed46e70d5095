"""Quantities given in another unit, converted to the variant's stock unit (SPEC §7).

Built in: kg ↔ g and L ↔ mL (factor 1000). Anything else needs a
:class:`~storekeep.catalog.models.UnitConversion` row of the variant
(``1 unit = factor`` stock units, e.g. ``case`` = 12).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from storekeep.core.errors import ErrorCode, ValidationFailed
from storekeep.core.numbers import QTY_STEP

from .models import UnitConversion, Variant

#: Units counted in whole numbers; every other unit (kg, g, L, mL, m) takes up to 3 decimals
#: (issue 12 item 5: nobody sells half a picture frame).
WHOLE_UNITS = frozenset({Variant.Unit.PIECE, Variant.Unit.PORTION})


def is_whole_unit(unit: str | None) -> bool:
    """True when quantities of ``unit`` must be whole numbers (piece, portion)."""
    return unit in WHOLE_UNITS


def fractional_lines(lines: Iterable[tuple[int | None, Variant, Decimal]]) -> list[dict]:
    """The lines whose quantity is fractional in a whole-number unit.

    ``lines``: ``(line_index, variant, qty)`` with ``qty`` in the variant's stock unit.
    Returns one ``{"line", "variant_id", "sku", "qty", "unit"}`` per offending line.
    """
    return [
        {
            "line": index,
            "variant_id": variant.pk,
            "sku": variant.sku,
            "qty": str(qty),
            "unit": variant.unit,
        }
        for index, variant, qty in lines
        if qty is not None and is_whole_unit(variant.unit) and qty != qty.to_integral_value()
    ]


def require_whole_units(lines: Iterable[tuple[int | None, Variant, Decimal]]) -> None:
    """Refuse fractional quantities of whole-number units (SPEC §7, issue 12 item 5).

    ``lines``: ``(line_index, variant, qty)``, ``qty`` a Decimal in the variant's stock
    unit. Raises ValidationFailed, 400 ``fractional_quantity``, naming every offending
    line in ``details["lines"]`` and the first one in the message.
    """
    bad = fractional_lines(lines)
    if not bad:
        return
    first = bad[0]
    unit = "pieces" if first["unit"] == Variant.Unit.PIECE else f"{first['unit']}s"
    more = f" (and {len(bad) - 1} more line(s))" if len(bad) > 1 else ""
    raise ValidationFailed(
        f"{first['sku']} is counted in whole {unit}: {first['qty']} is not a whole number{more}.",
        code=ErrorCode.FRACTIONAL_QUANTITY,
        details={"lines": bad},
    )


#: (from unit, stock unit) → factor: 1 ``from`` = factor ``stock`` units.
BUILTIN_FACTORS: dict[tuple[str, str], Decimal] = {
    ("kg", "g"): Decimal("1000"),
    ("g", "kg"): Decimal("0.001"),
    ("L", "mL"): Decimal("1000"),
    ("mL", "L"): Decimal("0.001"),
}


class UnitConverter:
    """Converts quantities for a set of variants with at most one query for conversions.

    ``UnitConverter(tenant=t, variants={id: Variant})`` then
    ``convert(variant_id, qty, unit, field="qty")``.
    """

    def __init__(self, *, tenant, variants: dict[int, Variant], units: Iterable[str | None] = ()):
        self.tenant = tenant
        self.variants = variants
        wanted = {u for u in units if u}
        self.custom: dict[tuple[int, str], Decimal] = {}
        if wanted:
            rows = UnitConversion.objects.filter(
                tenant=tenant, variant_id__in=list(variants), unit__in=wanted
            )
            self.custom = {(row.variant_id, row.unit): row.factor for row in rows}

    def factor(self, variant_id: int, unit: str | None) -> Decimal:
        """Stock units per one ``unit``; ValidationFailed (400 ``validation_error``) when unknown."""
        variant = self.variants[variant_id]
        if not unit or unit == variant.unit:
            return Decimal("1")
        if (variant_id, unit) in self.custom:
            return self.custom[(variant_id, unit)]
        if (unit, variant.unit) in BUILTIN_FACTORS:
            return BUILTIN_FACTORS[(unit, variant.unit)]
        raise ValidationFailed(
            f"Unknown unit {unit!r} for variant {variant.sku} (stock unit {variant.unit}).",
            details={
                "unit": [f"No conversion from {unit!r} to {variant.unit!r}."],
                "variant_id": variant_id,
            },
        )

    def convert(
        self, variant_id: int, qty: Decimal, unit: str | None, *, field: str = "qty"
    ) -> Decimal:
        """``qty`` in ``unit`` → stock units, exact to 3 decimals (else 400 ``validation_error``)."""
        factor = self.factor(variant_id, unit)
        if factor == 1:
            return qty
        converted = qty * factor
        if converted != converted.quantize(QTY_STEP):
            raise ValidationFailed(
                f"{field} {qty} {unit} is not a whole number of thousandths of "
                f"{self.variants[variant_id].unit}.",
                details={field: [str(qty)], "unit": [unit]},
            )
        return converted.quantize(QTY_STEP)


def to_stock_units(*, tenant, variant: Variant, qty: Decimal, unit: str | None) -> Decimal:
    """Convert one quantity of ``variant`` from ``unit`` to its stock unit (see :class:`UnitConverter`)."""
    return UnitConverter(tenant=tenant, variants={variant.pk: variant}, units=[unit]).convert(
        variant.pk, qty, unit
    )
