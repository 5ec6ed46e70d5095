"""Return matching: a cancellation invoice returns the customer's earlier sale lines.

The file's ``C`` invoices name no sale. A cancellation line is matched to the
same customer's earlier imported sale lines of the same stock code and unit
price, latest first, as far as they have quantity left to return; what no
sale line covers is returned without a receipt (at the line's own price).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from storekeep.catalog.models import Variant
from storekeep.pos.models import ReturnLine, Sale, SaleLine
from storekeep.pos.services import ReturnLineInput

from .codes import is_product_code
from .invoices import Invoice


@dataclass
class SoldLine:
    """A sale line a later cancellation may return (same customer, code, price)."""

    sale_id: int
    sale_line_id: int
    unit_price: Decimal
    remaining: Decimal


@dataclass
class MatchedReturn:
    """A cancellation split into returns: one per matched sale, then one without receipt."""

    by_sale: dict[int, list[ReturnLineInput]] = field(default_factory=lambda: defaultdict(list))
    unmatched: list[ReturnLineInput] = field(default_factory=list)
    matched_lines: int = 0

    def groups(self) -> list[tuple[int | None, list[ReturnLineInput]]]:
        """``(sale_id or None, lines)`` in the order the returns are written."""
        groups: list[tuple[int | None, list[ReturnLineInput]]] = list(self.by_sale.items())
        if self.unmatched:
            groups.append((None, self.unmatched))
        return groups


class SoldIndex:
    """Imported sale lines with quantity left to return, by (customer, stock code)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], list[SoldLine]] = defaultdict(list)

    @classmethod
    def load(cls, *, tenant, location) -> SoldIndex:
        """The completed imported sales' lines at ``location`` (one streamed query)."""
        index = cls()
        rows = (
            SaleLine.objects.filter(
                tenant=tenant,
                sale__location=location,
                sale__source=Sale.Source.IMPORT,
                sale__status=Sale.Status.COMPLETED,
            )
            .exclude(sale__customer_ref="")
            .order_by("sale__completed_at", "sale_id", "line_no")
            .values_list(
                "sale__customer_ref",
                "variant__sku",
                "sale_id",
                "pk",
                "unit_price",
                "qty",
                "qty_returned",
            )
        )
        for customer, sku, sale_id, line_id, price, qty, returned in rows.iterator(chunk_size=5000):
            if qty > returned:
                index.add(customer, sku, SoldLine(sale_id, line_id, price, qty - returned))
        return index

    def add(self, customer: str, code: str, sold: SoldLine) -> None:
        self.lines[(customer, code)].append(sold)

    def match(self, invoice: Invoice, variants: dict[str, Variant]) -> MatchedReturn:
        """Split the cancellation ``invoice`` into return lines (see the module docstring).

        Product lines are restocked, non-product codes discarded. Takes the
        matched quantities off the index.
        """
        matched = MatchedReturn()
        for line in invoice.lines:
            disposition = (
                ReturnLine.Disposition.RESTOCK
                if is_product_code(line.code)
                else ReturnLine.Disposition.DISCARD
            )
            qty = -line.quantity
            if invoice.customer:
                qty = self._take(matched, invoice.customer, line, qty, disposition)
            if qty > 0:
                matched.unmatched.append(
                    ReturnLineInput(
                        qty=qty,
                        variant_id=variants[line.code].pk,
                        unit_price=line.unit_price,
                        disposition=disposition,
                    )
                )
        return matched

    def _take(self, matched: MatchedReturn, customer, line, qty, disposition) -> Decimal:
        """Match ``qty`` of ``line`` to the customer's sold lines, latest first; returns the rest."""
        for sold in reversed(self.lines.get((customer, line.code), ())):
            if qty <= 0:
                break
            if sold.remaining <= 0 or sold.unit_price != line.unit_price:
                continue
            take = min(qty, sold.remaining)
            sold.remaining -= take
            qty -= take
            matched.by_sale[sold.sale_id].append(
                ReturnLineInput(qty=take, sale_line_id=sold.sale_line_id, disposition=disposition)
            )
            matched.matched_lines += 1
        return qty
