"""Grouping rows into invoices, in time order, one trading day at a time.

The file is in date order (daily files concatenated), but the lines of one
invoice are not always adjacent (invoice 542806 is interleaved with another)
and 43 invoices have lines at two different minutes. :func:`iter_invoices`
buffers one calendar day of rows, groups them by invoice number and yields the
day's invoices ordered by ``(occurred_at, first_row)`` where ``occurred_at``
is the invoice's earliest line time. Memory is bounded by one day (at most
~5,300 rows in the year).

A row dated before the day being buffered (the file out of order), or a row
of an invoice already yielded on an earlier day, is reported as an
:class:`~.reader.InvalidRow` instead of being merged into the wrong place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .classify import InvoiceKind, LineKind
from .codes import is_product_code
from .reader import InvalidRow, Line


@dataclass(slots=True)
class Invoice:
    """One invoice of the file with its valid lines (row order) and their kinds."""

    number: str
    occurred_at: datetime
    first_row: int
    customer: str | None
    country: str
    kind: InvoiceKind
    lines: list[Line]
    kinds: list[LineKind] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.occurred_at.date()

    def lines_of(self, kind: LineKind) -> list[Line]:
        return [line for line, k in zip(self.lines, self.kinds, strict=True) if k is kind]

    def stock_movements(self) -> list[tuple[Line, LineKind, Decimal]]:
        """Stock deltas of this invoice's product lines, in the replay order.

        The importer applies an invoice's movements in this order and the
        opening-stock plan simulates the same order: found stock first, then
        write-offs, then the sale (or the restocking cancellation), each group
        in row order. Non-product codes move no stock; bad-debt lines nothing.
        """
        order = {
            LineKind.FOUND: 0,
            LineKind.WRITE_OFF: 1,
            LineKind.SALE: 2,
            LineKind.CANCELLATION: 2,
        }
        # A sale line takes its quantity out; a cancellation line (negative
        # quantity) puts it back; adjustments move stock by their own quantity.
        moves = [
            (
                line,
                kind,
                -line.quantity if kind in (LineKind.SALE, LineKind.CANCELLATION) else line.quantity,
            )
            for line, kind in zip(self.lines, self.kinds, strict=True)
            if kind is not LineKind.BAD_DEBT and is_product_code(line.code)
        ]
        moves.sort(key=lambda m: (order[m[1]], m[0].row))
        return moves


def classify_invoice(number: str, lines: list[Line]) -> tuple[Invoice | None, list[InvalidRow]]:
    """Build an :class:`Invoice` from its valid lines (see :mod:`.classify` for rules).

    Returns the invoice (``None`` if no line survived) and the rows rejected
    while classifying (a positive quantity on a cancellation, a negative one on
    a sale).
    """
    invalid: list[InvalidRow] = []
    customer = next((line.customer for line in lines if line.customer), None)
    if number.startswith("A"):
        kind = InvoiceKind.BAD_DEBT
    elif number.startswith("C"):
        kind = InvoiceKind.CANCELLATION
    elif customer is None and all(line.unit_price == 0 for line in lines):
        kind = InvoiceKind.ADJUSTMENT
    else:
        kind = InvoiceKind.SALE
    kept: list[Line] = []
    kinds: list[LineKind] = []
    for line in lines:
        if kind is InvoiceKind.BAD_DEBT:
            line_kind = LineKind.BAD_DEBT
        elif kind is InvoiceKind.CANCELLATION:
            if line.quantity > 0:
                invalid.append(
                    InvalidRow(line.row, "positive Quantity on a cancellation invoice", number)
                )
                continue
            line_kind = LineKind.CANCELLATION
        elif kind is InvoiceKind.ADJUSTMENT:
            line_kind = LineKind.FOUND if line.quantity > 0 else LineKind.WRITE_OFF
        else:
            if line.quantity < 0:
                invalid.append(InvalidRow(line.row, "negative Quantity on a sale invoice", number))
                continue
            line_kind = LineKind.SALE
        kept.append(line)
        kinds.append(line_kind)
    if not kept:
        return None, invalid
    return (
        Invoice(
            number=number,
            occurred_at=min(line.occurred_at for line in kept),
            first_row=kept[0].row,
            customer=customer,
            country=kept[0].country,
            kind=kind,
            lines=kept,
            kinds=kinds,
        ),
        invalid,
    )


def _flush(buffer: dict[str, list[Line]]) -> Iterator[Invoice | InvalidRow]:
    invoices: list[Invoice] = []
    for number, lines in buffer.items():
        invoice, invalid = classify_invoice(number, lines)
        yield from invalid
        if invoice is not None:
            invoices.append(invoice)
    invoices.sort(key=lambda inv: (inv.occurred_at, inv.first_row))
    yield from invoices


def iter_invoices(rows: Iterable[Line | InvalidRow]) -> Iterator[Invoice | InvalidRow]:
    """Group rows (from :func:`~.reader.iter_rows`) into time-ordered invoices.

    Yields :class:`Invoice` objects ordered by ``(occurred_at, first_row)``
    and, interleaved, every :class:`InvalidRow` met (invalid rows of a day come
    out when that day is flushed or earlier).
    """
    buffer: dict[str, list[Line]] = {}
    current_day: date | None = None
    closed: set[str] = set()
    for item in rows:
        if isinstance(item, InvalidRow):
            yield item
            continue
        day = item.occurred_at.date()
        if current_day is None:
            current_day = day
        if day > current_day:
            closed.update(buffer)
            yield from _flush(buffer)
            buffer = {}
            current_day = day
        elif day < current_day:
            yield InvalidRow(
                item.row,
                f"row dated {day} after rows of {current_day} (file not in date order)",
                item.invoice,
            )
            continue
        if item.invoice in closed:
            yield InvalidRow(
                item.row, f"invoice {item.invoice} continues after its day was closed", item.invoice
            )
            continue
        buffer.setdefault(item.invoice, []).append(item)
    yield from _flush(buffer)
