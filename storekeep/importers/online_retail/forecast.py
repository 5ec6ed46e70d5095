"""Stock forecast: the importer's own running on hand at the import location.

The replay keeps, per variant id, what the stock engine holds at the import
location after every invoice it wrote. It tells up front whether an invoice
can be written (so a batch of sales is normally written whole, and an
adjustment that would go negative is skipped), at no query cost.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from storekeep.catalog.models import Variant
from storekeep.inventory.models import InventoryItem

from .classify import LineKind
from .codes import is_product_code
from .invoices import Invoice

ZERO = Decimal("0")

#: Units per variant id (stock unit).
Needs = dict[int, Decimal]


def needs_of(invoice: Invoice, kinds: tuple[LineKind, ...], variants: dict[str, Variant]) -> Needs:
    """Units of each product variant the lines of ``kinds`` move (absolute quantities)."""
    needs: Needs = defaultdict(lambda: ZERO)
    for line, kind in zip(invoice.lines, invoice.kinds, strict=True):
        if kind in kinds and is_product_code(line.code):
            needs[variants[line.code].pk] += abs(line.quantity)
    return needs


class StockForecast:
    """On hand per variant id at the import location, as the replay goes."""

    def __init__(self, units: dict[int, Decimal]):
        self.units = units

    @classmethod
    def load(cls, *, tenant, location) -> StockForecast:
        """The location's on hand now (one query)."""
        return cls(
            dict(
                InventoryItem.objects.filter(tenant=tenant, location=location).values_list(
                    "variant_id", "on_hand"
                )
            )
        )

    def get(self, variant_id: int) -> Decimal:
        return self.units.get(variant_id, ZERO)

    def is_short(self, needs: Needs) -> bool:
        """Whether taking ``needs`` out would leave some variant below zero."""
        return any(self.get(variant_id) < qty for variant_id, qty in needs.items())

    def can_adjust(self, *, found: Needs, lost: Needs) -> bool:
        """Whether ``found`` in, then ``lost`` out, leaves every variant at zero or more."""
        return all(self.get(v) + found.get(v, ZERO) >= qty for v, qty in lost.items())

    def add(self, needs: Needs) -> None:
        for variant_id, qty in needs.items():
            self.units[variant_id] = self.get(variant_id) + qty

    def take(self, needs: Needs) -> None:
        for variant_id, qty in needs.items():
            self.units[variant_id] = self.get(variant_id) - qty
