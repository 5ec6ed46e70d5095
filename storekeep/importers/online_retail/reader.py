"""Streaming reader of the Online Retail CSV, with row validation.

The file is read as a stream (gzip or plain text, detected by its magic
bytes), one row at a time; nothing keeps the whole file in memory. Each data
row gets a **row number**: its 1-based position among the data rows (the
header is not counted, so row ``n`` is line ``n + 1`` of the CSV). Row numbers
are the surrogate line ids: ``(InvoiceNo, StockCode)`` is not a key of the
file (quirk 7) and exact duplicate rows are real, separate lines.

A row that cannot be trusted (wrong column count, unparseable quantity, price
or date, empty invoice number or stock code, zero quantity, a price with more
than 4 decimal places, a negative price outside an ``A`` invoice) is yielded
as an :class:`InvalidRow` carrying its row number and the reason, and nothing
of it is imported.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .codes import normalise_code

HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

_INVOICE_RE = re.compile(r"^[CA]?[0-9]+$")
_CUSTOMER_RE = re.compile(r"^[0-9]+(?:\.0+)?$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass(slots=True)
class Line:
    """One valid data row.

    ``quantity`` is in pieces (negative on cancellations and write-offs),
    ``unit_price`` in GBP (up to 4 decimal places), ``occurred_at`` a naive
    datetime in UK local time (the file carries no zone).
    """

    row: int
    invoice: str
    code: str
    raw_code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    occurred_at: datetime
    customer: str | None
    country: str

    @property
    def day(self) -> date:
        return self.occurred_at.date()

    @property
    def amount(self) -> Decimal:
        """Unrounded ``quantity × unit_price`` (GBP)."""
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class InvalidRow:
    """A row that is reported and skipped: ``row`` number and a human reason."""

    row: int
    reason: str
    invoice: str = ""

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


def open_text(path: str | Path) -> io.TextIOBase:
    """Open ``path`` for streaming text reading; gzip is detected by magic bytes."""
    path = Path(path)
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


class _DateParser:
    """``InvoiceDate`` parser with a cache (the year has ~23k distinct stamps)."""

    def __init__(self) -> None:
        self._cache: dict[str, datetime] = {}

    def __call__(self, text: str) -> datetime:
        value = self._cache.get(text)
        if value is None:
            for fmt in _DATE_FORMATS:
                try:
                    value = datetime.strptime(text.strip(), fmt)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(text)
            self._cache[text] = value
        return value


#: Parsed numbers by their text (the year has ~700 distinct quantities and
#: ~1,600 distinct prices); a value is a Decimal or the reason it is invalid.
_CACHE_LIMIT = 50_000


def _parse_quantity(text: str) -> Decimal | str:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return f"unparseable Quantity {text!r}"
    if not value.is_finite():
        return f"unparseable Quantity {text!r}"
    if value == 0:
        return "zero Quantity"
    if value.as_tuple().exponent < -3:
        return f"Quantity {text!r} has more than 3 decimal places"
    return value


def _parse_price(text: str) -> Decimal | str:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return f"unparseable UnitPrice {text!r}"
    if not value.is_finite():
        return f"unparseable UnitPrice {text!r}"
    if value.as_tuple().exponent < -4:
        return f"UnitPrice {text!r} has more than 4 decimal places"
    return value


class _Parsers:
    """Caching parsers shared by the rows of one file."""

    def __init__(self) -> None:
        self.date = _DateParser()
        self.quantities: dict[str, Decimal | str] = {}
        self.prices: dict[str, Decimal | str] = {}

    def quantity(self, text: str) -> Decimal | str:
        value = self.quantities.get(text)
        if value is None:
            if len(self.quantities) > _CACHE_LIMIT:
                self.quantities.clear()
            value = self.quantities[text] = _parse_quantity(text)
        return value

    def price(self, text: str) -> Decimal | str:
        value = self.prices.get(text)
        if value is None:
            if len(self.prices) > _CACHE_LIMIT:
                self.prices.clear()
            value = self.prices[text] = _parse_price(text)
        return value


def parse_row(
    row_number: int, fields: list[str], parsers: _Parsers | None = None
) -> Line | InvalidRow:
    """Validate one CSV record; return a :class:`Line` or an :class:`InvalidRow`."""
    parsers = parsers or _Parsers()
    if len(fields) != 8:
        return InvalidRow(row_number, f"expected {len(HEADER)} columns, got {len(fields)}")
    invoice_raw, code_raw, description, qty_raw, date_raw, price_raw, customer_raw, country = fields
    invoice = invoice_raw.strip().upper()
    if not invoice:
        return InvalidRow(row_number, "empty InvoiceNo")
    if not _INVOICE_RE.match(invoice):
        return InvalidRow(row_number, f"unrecognised InvoiceNo {invoice_raw!r}", invoice)
    code = normalise_code(code_raw)
    if not code:
        return InvalidRow(row_number, "empty StockCode", invoice)
    quantity = parsers.quantity(qty_raw)
    if type(quantity) is str:
        return InvalidRow(row_number, quantity, invoice)
    unit_price = parsers.price(price_raw)
    if type(unit_price) is str:
        return InvalidRow(row_number, unit_price, invoice)
    if unit_price < 0 and invoice[0] != "A":
        return InvalidRow(row_number, f"negative UnitPrice {price_raw!r}", invoice)
    try:
        occurred_at = parsers.date(date_raw)
    except ValueError:
        return InvalidRow(row_number, f"unparseable InvoiceDate {date_raw!r}", invoice)
    if customer_raw:
        customer_raw = customer_raw.strip()
        if customer_raw and not customer_raw.isdigit():
            if not _CUSTOMER_RE.match(customer_raw):
                return InvalidRow(row_number, f"unparseable CustomerID {customer_raw!r}", invoice)
            customer_raw = customer_raw.split(".", 1)[0]
    return Line(
        row_number,
        invoice,
        code,
        code_raw,
        description.strip(),
        quantity,
        unit_price,
        occurred_at,
        customer_raw or None,
        country.strip(),
    )


def iter_rows(path: str | Path, *, limit_rows: int | None = None) -> Iterator[Line | InvalidRow]:
    """Yield every data row of ``path`` as a :class:`Line` or :class:`InvalidRow`.

    ``limit_rows`` stops after that many data rows. The header must be the
    dataset's (``ValueError`` otherwise: a wrong file is not "invalid rows").
    """
    parsers = _Parsers()
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        if tuple(h.strip().lstrip("\ufeff") for h in header) != HEADER:
            raise ValueError(f"{path}: unexpected header {header!r}, expected {list(HEADER)!r}")
        for row_number, fields in enumerate(reader, start=1):
            if limit_rows is not None and row_number > limit_rows:
                break
            yield parse_row(row_number, fields, parsers)
