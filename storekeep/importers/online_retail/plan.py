"""First pass over the file: catalog, opening stock and expected figures.

Everything here is pure (no database). :func:`scan` streams the file once
through the same invoice pipeline the replay uses (:func:`read_invoices`) and
returns a :class:`ScanResult`:

* the catalog — one entry per normalised stock code: canonical name, default
  price, product or non-stock (:class:`CatalogBuilder` documents the rules);
* the opening-stock plan — per product code, the smallest stock that keeps it
  from ever running short when every movement is replayed in time order
  (:class:`StockPlanner`);
* counts by line kind, invalid rows, and the expected net sales total
  (Σ quantity × unit price of sale and cancellation lines) that the books must
  show after the replay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .classify import InvoiceKind, LineKind, adjustment_reason
from .codes import is_product_code
from .invoices import Invoice, iter_invoices
from .reader import InvalidRow, Line, iter_rows

CENT = Decimal("0.01")
#: How many invalid rows are kept with their details (all are counted).
MAX_INVALID_KEPT = 1000


def money(value: Decimal) -> Decimal:
    """Round a GBP amount half-up to the penny (SPEC §5 line rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def read_invoices(
    path: str | Path, *, limit_rows: int | None = None, until: date | None = None
) -> Iterator[Invoice | InvalidRow]:
    """Stream ``path`` as time-ordered invoices (and invalid rows).

    ``limit_rows`` reads only the first N data rows; ``until`` keeps rows
    dated on or before that day (inclusive) and stops reading at the first
    later row (the file is in date order).
    """
    rows: Iterable[Line | InvalidRow] = iter_rows(path, limit_rows=limit_rows)
    if until is not None:
        rows = _until(rows, until)
    return iter_invoices(rows)


def _until(rows: Iterable[Line | InvalidRow], until: date) -> Iterator[Line | InvalidRow]:
    for item in rows:
        if isinstance(item, Line) and item.occurred_at.date() > until:
            return
        yield item


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    code: str
    name: str
    price: Decimal
    is_product: bool
    first_row: int


@dataclass(slots=True)
class _CodeStats:
    first_row: int
    priced_names: Counter = field(default_factory=Counter)
    line_names: Counter = field(default_factory=Counter)
    note_names: Counter = field(default_factory=Counter)
    name_first_row: dict = field(default_factory=dict)
    sale_prices: Counter = field(default_factory=Counter)
    other_prices: Counter = field(default_factory=Counter)
    price_first_row: dict = field(default_factory=dict)


def _catalog_style(text: str) -> bool:
    return text == text.upper()


class CatalogBuilder:
    """Collects, per normalised code, the descriptions and prices seen.

    Canonical name: among the descriptions of lines with a price > 0 (sale
    and cancellation lines; else any sale/cancellation line; else adjustment
    descriptions that read like a product name, i.e. upper-case and not a
    warehouse note; else the code itself), the trimmed text that is in
    catalogue style (no lower-case letters) first, then the most frequent,
    then the earliest seen. Warehouse notes ("check", "damaged", "wrongly
    marked. 23343 in box") therefore never become names.

    Default price: the most frequent unit price of the code's sale lines with
    a price > 0 (ties: the earliest seen); else of its cancellation lines;
    else 0. Prices belong to the line (quirk 11): the replay always uses the
    line's own price, this is only the catalogue default.
    """

    def __init__(self) -> None:
        self._codes: dict[str, _CodeStats] = {}

    def add(self, line: Line, kind: LineKind) -> None:
        if kind is LineKind.BAD_DEBT:
            return
        stats = self._codes.get(line.code)
        if stats is None:
            stats = self._codes[line.code] = _CodeStats(first_row=line.row)
        text = line.description
        if text:
            stats.name_first_row.setdefault(text, line.row)
            if kind in (LineKind.SALE, LineKind.CANCELLATION):
                stats.line_names[text] += 1
                if line.unit_price > 0:
                    stats.priced_names[text] += 1
            elif _catalog_style(text) and adjustment_reason(text) == "other":
                stats.note_names[text] += 1
        if line.unit_price > 0:
            stats.price_first_row.setdefault(line.unit_price, line.row)
            if kind is LineKind.SALE:
                stats.sale_prices[line.unit_price] += 1
            elif kind is LineKind.CANCELLATION:
                stats.other_prices[line.unit_price] += 1

    def build(self) -> dict[str, CatalogEntry]:
        """Return ``{code: CatalogEntry}`` ordered by first appearance."""
        catalog: dict[str, CatalogEntry] = {}
        for code, stats in sorted(self._codes.items(), key=lambda kv: kv[1].first_row):
            names = stats.priced_names or stats.line_names or stats.note_names
            if names:
                name = max(
                    names,
                    key=lambda t: (_catalog_style(t), names[t], -stats.name_first_row[t]),
                )
            else:
                name = code
            prices = stats.sale_prices or stats.other_prices
            if prices:
                price = max(prices, key=lambda p: (prices[p], -stats.price_first_row[p]))
            else:
                price = Decimal("0")
            catalog[code] = CatalogEntry(
                code=code,
                name=name,
                price=price,
                is_product=is_product_code(code),
                first_row=stats.first_row,
            )
        return catalog


class StockPlanner:
    """Lowest running balance per product code over the replayed movements.

    Feed it invoices in replay order; :meth:`required` then gives, for a
    starting on-hand per code (0 by default), the quantity to receive first so
    that the balance never goes below zero at any point of the replay:
    ``max(0, -(start + min running delta))``. The movement order inside an
    invoice is :meth:`Invoice.stock_movements`, the order the importer uses.
    """

    def __init__(self) -> None:
        self.running: dict[str, Decimal] = {}
        self.lowest: dict[str, Decimal] = {}

    def add(self, invoice: Invoice) -> None:
        running, lowest = self.running, self.lowest
        for line, _kind, delta in invoice.stock_movements():
            code = line.code
            balance = running.get(code, 0) + delta
            running[code] = balance
            if balance < lowest.get(code, 0):
                lowest[code] = balance

    def required(self, start: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
        """``{code: quantity to receive}`` for codes that would otherwise run short."""
        start = start or {}
        needed: dict[str, Decimal] = {}
        for code, low in self.lowest.items():
            gap = -(start.get(code, Decimal(0)) + low)
            if gap > 0:
                needed[code] = Decimal(gap)
        return needed


@dataclass(slots=True)
class ScanResult:
    catalog: dict[str, CatalogEntry]
    planner: StockPlanner
    rows_read: int = 0
    invalid_count: int = 0
    invalid_rows: list[InvalidRow] = field(default_factory=list)
    invoices: Counter = field(default_factory=Counter)
    lines: Counter = field(default_factory=Counter)
    customers: dict[str, str | None] = field(default_factory=dict)
    first_invoice_at: datetime | None = None
    last_invoice_at: datetime | None = None
    net_sales: Decimal = Decimal("0.00")
    net_sales_unrounded: Decimal = Decimal("0")
    adjustments_non_stock: int = 0
    already_imported: int = 0
    first_pending_at: datetime | None = None

    @property
    def opening_stock(self) -> dict[str, Decimal]:
        """Opening stock per product code for an empty location."""
        return self.planner.required()


def scan(
    path: str | Path,
    *,
    limit_rows: int | None = None,
    until: date | None = None,
    done: Collection[str] = (),
) -> ScanResult:
    """First pass: stream the file and compute catalog, opening plan and figures.

    Invoices whose number is in ``done`` (already imported) still count for
    the catalog and the expected totals but not for the opening-stock plan,
    which then covers only what is left to replay (restarts).
    """
    builder = CatalogBuilder()
    result = ScanResult(catalog={}, planner=StockPlanner())
    rows_read = 0
    for item in read_invoices(path, limit_rows=limit_rows, until=until):
        if isinstance(item, InvalidRow):
            result.invalid_count += 1
            rows_read += 1
            if len(result.invalid_rows) < MAX_INVALID_KEPT:
                result.invalid_rows.append(item)
            continue
        invoice = item
        rows_read += len(invoice.lines)
        result.invoices[invoice.kind] += 1
        result.customers[invoice.number] = invoice.customer
        if result.first_invoice_at is None:
            result.first_invoice_at = invoice.occurred_at
        result.last_invoice_at = invoice.occurred_at
        for line, kind in zip(invoice.lines, invoice.kinds, strict=True):
            builder.add(line, kind)
            result.lines[kind] += 1
            if kind in (LineKind.SALE, LineKind.CANCELLATION):
                result.net_sales += money(line.amount)
                result.net_sales_unrounded += line.amount
            elif kind in (LineKind.WRITE_OFF, LineKind.FOUND) and not is_product_code(line.code):
                result.adjustments_non_stock += 1
        if invoice.number in done:
            result.already_imported += 1
            continue
        if result.first_pending_at is None and invoice.kind is not InvoiceKind.BAD_DEBT:
            result.first_pending_at = invoice.occurred_at
        result.planner.add(invoice)
    result.rows_read = rows_read
    result.catalog = builder.build()
    return result
