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


@dataclass(frozen=True, slots=True)
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


def _decimal(text: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


def parse_row(
    row_number: int, fields: list[str], parse_date: _DateParser | None = None
) -> Line | InvalidRow:
    """Validate one CSV record; return a :class:`Line` or an :class:`InvalidRow`."""
    parse_date = parse_date or _DateParser()
    if len(fields) != len(HEADER):
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
    try:
        quantity = _decimal(qty_raw)
    except (InvalidOperation, ValueError):
        return InvalidRow(row_number, f"unparseable Quantity {qty_raw!r}", invoice)
    if quantity == 0:
        return InvalidRow(row_number, "zero Quantity", invoice)
    if quantity.as_tuple().exponent < -3:
        return InvalidRow(
            row_number, f"Quantity {qty_raw!r} has more than 3 decimal places", invoice
        )
    try:
        unit_price = _decimal(price_raw)
    except (InvalidOperation, ValueError):
        return InvalidRow(row_number, f"unparseable UnitPrice {price_raw!r}", invoice)
    if unit_price.as_tuple().exponent < -4:
        return InvalidRow(
            row_number, f"UnitPrice {price_raw!r} has more than 4 decimal places", invoice
        )
    if unit_price < 0 and not invoice.startswith("A"):
        return InvalidRow(row_number, f"negative UnitPrice {price_raw!r}", invoice)
    try:
        occurred_at = parse_date(date_raw)
    except ValueError:
        return InvalidRow(row_number, f"unparseable InvoiceDate {date_raw!r}", invoice)
    customer_raw = customer_raw.strip()
    if customer_raw and not _CUSTOMER_RE.match(customer_raw):
        return InvalidRow(row_number, f"unparseable CustomerID {customer_raw!r}", invoice)
    customer = customer_raw.split(".", 1)[0] if customer_raw else None
    return Line(
        row=row_number,
        invoice=invoice,
        code=code,
        raw_code=code_raw,
        description=description.strip(),
        quantity=quantity,
        unit_price=unit_price,
        occurred_at=occurred_at,
        customer=customer,
        country=country.strip(),
    )


def iter_rows(path: str | Path, *, limit_rows: int | None = None) -> Iterator[Line | InvalidRow]:
    """Yield every data row of ``path`` as a :class:`Line` or :class:`InvalidRow`.

    ``limit_rows`` stops after that many data rows. The header must be the
    dataset's (``ValueError`` otherwise: a wrong file is not "invalid rows").
    """
    parse_date = _DateParser()
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
            yield parse_row(row_number, fields, parse_date)
