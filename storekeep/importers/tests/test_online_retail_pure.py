"""Pure parts of the Online Retail importer: reader, codes, classification, first pass.

Expected values are computed here independently from the committed slice with
the plain ``csv`` module and simple rules, not with the importer's code.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from storekeep.importers.online_retail.classify import InvoiceKind, LineKind, adjustment_reason
from storekeep.importers.online_retail.codes import (
    is_product_code,
    non_product_kind,
    normalise_code,
)
from storekeep.importers.online_retail.invoices import iter_invoices
from storekeep.importers.online_retail.plan import read_invoices, scan
from storekeep.importers.online_retail.reader import InvalidRow, Line, iter_rows

SLICE = Path(__file__).resolve().parents[1] / "data" / "online_retail_sample.csv.gz"
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def slice_rows() -> list[list[str]]:
    with gzip.open(SLICE, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return list(reader)


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return slice_rows()


@pytest.fixture(scope="module")
def result():
    return scan(SLICE)


def write_csv(tmp_path: Path, body: str, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


# --- the slice itself -------------------------------------------------------


def test_slice_spans_every_quirk_the_tests_rely_on(rows):
    assert 3_000 <= len(rows) <= 30_000
    assert SLICE.stat().st_size < 1_000_000
    assert any(r[0].startswith("C") for r in rows)
    assert any(
        int(r[3]) < 0 and Decimal(r[5]) == 0 and not r[6] and not r[0].startswith("C") for r in rows
    )
    assert len(rows) > len({tuple(r) for r in rows})  # exact duplicates
    assert any(r[1] != r[1].upper() for r in rows)  # lower-case code
    assert any(
        r[1] in {"POST", "DOT", "M", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE"} for r in rows
    )


# --- codes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code", "product"),
    [
        ("85123A", "85123A", True),
        ("85123a", "85123A", True),
        ("15056bl", "15056BL", True),
        ("22423", "22423", True),
        (" 22423 ", "22423", True),
        ("POST", "POST", False),
        ("m", "M", False),
        ("C2", "C2", False),
        ("BANK CHARGES", "BANK CHARGES", False),
        ("gift_0001_20", "GIFT_0001_20", False),
        ("DCGS0066P", "DCGS0066P", False),
        ("DCGSSBOY", "DCGSSBOY", False),
        ("AMAZONFEE", "AMAZONFEE", False),
        ("PADS", "PADS", False),
        ("1234", "1234", False),
        ("123456", "123456", False),
    ],
)
def test_stock_codes_are_upper_cased_and_only_five_digits_plus_letters_are_products(
    raw, code, product
):
    assert normalise_code(raw) == code
    assert is_product_code(code) is product
    assert (non_product_kind(code) is None) is product


def test_non_product_kinds_name_what_the_code_stands_for():
    assert non_product_kind("POST") == "postage"
    assert non_product_kind("GIFT_0001_50") == "gift voucher"
    assert non_product_kind("DCGS0003") == "web-shop item"


# --- adjustment reasons ---------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("damaged", "damage"),
        ("Damages", "damage"),
        ("damages?", "damage"),
        ("wet pallet", "damage"),
        ("Wet pallet-thrown away", "damage"),
        ("water damage", "damage"),
        ("smashed", "damage"),
        ("crushed ctn", "damage"),
        ("thrown away", "spoilage"),
        ("printing smudges/thrown away", "spoilage"),
        ("mouldy, unsaleable.", "spoilage"),
        ("rusty throw away", "spoilage"),
        ("?", "correction"),
        ("??", "correction"),
        ("check", "correction"),
        ("CHECK", "correction"),
        ("missing", "correction"),
        ("?lost", "correction"),
        ("wrongly coded 23343", "correction"),
        ("sold as set on dotcom", "correction"),
        ("found", "correction"),
        ("samples", "other"),
        ("Display", "other"),
        ("", "other"),
    ],
)
def test_adjustment_reason_is_read_from_the_warehouse_note(note, reason):
    assert adjustment_reason(note) == reason


# --- reader -------------------------------------------------------------------


def test_reader_streams_gzip_and_numbers_rows_from_one(rows):
    first = next(iter_rows(SLICE))
    assert isinstance(first, Line)
    assert first.row == 1
    assert first.invoice == rows[0][0]
    assert first.code == "85123A"
    assert first.quantity == Decimal(rows[0][3])
    assert first.unit_price == Decimal("2.55")
    assert first.occurred_at == datetime(2010, 12, 1, 8, 26)
    assert first.customer == "17850"
    assert sum(1 for _ in iter_rows(SLICE)) == len(rows)


def test_reader_reports_invalid_rows_with_their_row_number_and_skips_them(tmp_path):
    path = write_csv(
        tmp_path,
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,six,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
        "536365,71054,LANTERN,6,2010-13-01 08:26:00,3.39,17850,United Kingdom\n"
        "536365,,NO CODE,6,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
        "536365,71055,LANTERN,6,2010-12-01 08:26:00,abc,17850,United Kingdom\n"
        "536365,71056,LANTERN,6,2010-12-01 08:26:00\n"
        ",71057,LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
        "536365,71058,LANTERN,0,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
        "536365,71059,LANTERN,1,2010-12-01 08:26:00,-3.39,17850,United Kingdom\n"
        "536365,71060,LANTERN,1,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n",
    )
    items = list(iter_rows(path))
    invalid = {item.row: item.reason for item in items if isinstance(item, InvalidRow)}
    valid = [item for item in items if isinstance(item, Line)]
    assert [line.row for line in valid] == [1, 10]
    assert valid[1].customer == "17850"
    assert set(invalid) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert "Quantity" in invalid[2]
    assert "InvoiceDate" in invalid[3]
    assert invalid[4] == "empty StockCode"
    assert "UnitPrice" in invalid[5]
    assert "columns" in invalid[6]
    assert invalid[7] == "empty InvoiceNo"
    assert invalid[8] == "zero Quantity"
    assert "negative UnitPrice" in invalid[9]


def test_reader_reads_plain_csv_and_respects_limit_rows(tmp_path):
    path = write_csv(
        tmp_path,
        "536365,85123a,X,6,2010-12-01 08:26:00,2.55,,United Kingdom\n"
        "536366,85123A,Y,6,2010-12-01 08:27:00,2.55,,United Kingdom\n",
    )
    items = list(iter_rows(path, limit_rows=1))
    assert len(items) == 1
    assert items[0].code == "85123A"
    assert items[0].raw_code == "85123a"
    assert items[0].customer is None


def test_reader_refuses_a_file_with_another_header(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unexpected header"):
        list(iter_rows(path))


# --- classification and grouping ------------------------------------------------


def test_invoices_come_in_time_order_with_their_lines_together(tmp_path):
    path = write_csv(
        tmp_path,
        # invoice 2 starts before 1 finishes (spans two minutes, interleaved)
        "000002,11111,A,1,2010-12-01 10:00:00,1.00,1,UK\n"
        "000001,22222,B,1,2010-12-01 09:59:00,1.00,2,UK\n"
        "000002,33333,C,1,2010-12-01 10:01:00,1.00,1,UK\n"
        "000003,44444,D,1,2010-12-01 09:59:00,1.00,3,UK\n"
        "000004,55555,E,1,2010-12-02 08:00:00,1.00,3,UK\n",
    )
    invoices = list(read_invoices(path))
    assert [inv.number for inv in invoices] == ["000001", "000003", "000002", "000004"]
    two_minutes = invoices[2]
    assert [line.row for line in two_minutes.lines] == [1, 3]
    assert two_minutes.occurred_at == datetime(2010, 12, 1, 10, 0)


def test_rows_out_of_date_order_are_reported_not_merged(tmp_path):
    path = write_csv(
        tmp_path,
        "000001,11111,A,1,2010-12-02 10:00:00,1.00,1,UK\n"
        "000002,11111,A,1,2010-12-01 10:00:00,1.00,1,UK\n"
        "000001,11111,A,1,2010-12-03 10:00:00,1.00,1,UK\n",
    )
    items = list(read_invoices(path))
    invalid = [item for item in items if isinstance(item, InvalidRow)]
    assert [item.row for item in invalid] == [2, 3]


def test_line_kinds_follow_the_invoice_rules(tmp_path):
    path = write_csv(
        tmp_path,
        "000001,11111,A,2,2010-12-01 10:00:00,1.00,1,UK\n"
        "C000002,11111,A,-1,2010-12-01 10:01:00,1.00,1,UK\n"
        "000003,11111,damaged,-3,2010-12-01 10:02:00,0,,UK\n"
        "000004,11111,found,4,2010-12-01 10:03:00,0,,UK\n"
        "000005,11111,A,5,2010-12-01 10:04:00,2.00,,UK\n"
        "000005,22222,B,1,2010-12-01 10:04:00,0,,UK\n"
        "A000006,B,Adjust bad debt,1,2010-12-01 10:05:00,-11062.06,,UK\n"
        "C000007,11111,A,1,2010-12-01 10:06:00,1.00,1,UK\n",
    )
    items = list(read_invoices(path))
    invoices = {item.number: item for item in items if not isinstance(item, InvalidRow)}
    invalid = [item for item in items if isinstance(item, InvalidRow)]
    assert invoices["000001"].kind is InvoiceKind.SALE
    assert invoices["C000002"].kinds == [LineKind.CANCELLATION]
    assert invoices["000003"].kinds == [LineKind.WRITE_OFF]
    assert invoices["000004"].kinds == [LineKind.FOUND]
    # a customer-less sale with a free line: the free line is sold at 0, not "found"
    assert invoices["000005"].kinds == [LineKind.SALE, LineKind.SALE]
    assert invoices["A000006"].kinds == [LineKind.BAD_DEBT]
    assert [item.row for item in invalid] == [8]
    assert "C000007" not in invoices


def test_stock_movements_put_found_stock_first_and_skip_non_products(tmp_path):
    path = write_csv(
        tmp_path,
        "000001,11111,A,2,2010-12-01 10:00:00,1.00,1,UK\n"
        "000001,POST,POSTAGE,1,2010-12-01 10:00:00,18.00,1,UK\n"
        "C000002,11111,A,-1,2010-12-01 10:01:00,1.00,1,UK\n"
        "C000002,D,Discount,-1,2010-12-01 10:01:00,5.00,1,UK\n",
    )
    sale, cancel = list(read_invoices(path))
    assert [(m[0].code, m[2]) for m in sale.stock_movements()] == [("11111", Decimal(-2))]
    assert [(m[0].code, m[2]) for m in cancel.stock_movements()] == [("11111", Decimal(1))]


# --- first pass over the slice, against independent computations --------------------


def _independent_invoices(rows):
    """Group and classify the slice with plain rules (no importer code)."""
    by_invoice: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    for number, row in enumerate(rows, start=1):
        by_invoice[row[0]].append((number, row))
    ordered = sorted(by_invoice.items(), key=lambda kv: (min(r[4] for _, r in kv[1]), kv[1][0][0]))
    out = []
    for inv, lines in ordered:
        adjustment = not inv.startswith("C") and all(
            not r[6] and Decimal(r[5]) == 0 for _, r in lines
        )
        out.append((inv, adjustment, lines))
    return out


def test_scan_counts_every_row_of_the_slice(rows, result):
    assert result.rows_read == len(rows)
    assert result.invalid_count == 0
    assert result.lines[LineKind.CANCELLATION] == sum(1 for r in rows if r[0].startswith("C"))
    assert result.invoices[InvoiceKind.CANCELLATION] == len(
        {r[0] for r in rows if r[0].startswith("C")}
    )
    adjustments = [(inv, lines) for inv, adj, lines in _independent_invoices(rows) if adj]
    assert result.lines[LineKind.WRITE_OFF] == sum(
        1 for _, ls in adjustments for _, r in ls if int(r[3]) < 0
    )
    assert result.lines[LineKind.FOUND] == sum(
        1 for _, ls in adjustments for _, r in ls if int(r[3]) > 0
    )
    assert sum(result.lines.values()) == len(rows)
    assert result.first_invoice_at == datetime(2010, 12, 1, 8, 26)


def test_scan_expected_net_sales_is_the_sum_of_sale_and_cancellation_lines(rows, result):
    expected = Decimal(0)
    for inv, adjustment, lines in _independent_invoices(rows):
        if adjustment or inv.startswith("A"):
            continue
        expected += sum(int(r[3]) * Decimal(r[5]) for _, r in lines)
    assert result.net_sales_unrounded == expected
    assert result.net_sales == expected.quantize(Decimal("0.01"))
    assert result.net_sales == Decimal("280766.48")


def test_catalog_has_one_entry_per_case_insensitive_code(rows, result):
    codes = {r[1].upper() for r in rows}
    assert set(result.catalog) == codes
    assert "85123A" in result.catalog and "85123a" not in result.catalog
    products = {
        c for c in codes if len(c) >= 5 and c[:5].isdigit() and (c[5:] == "" or c[5:].isalpha())
    }
    assert {c for c, e in result.catalog.items() if e.is_product} == products


def test_catalog_names_and_prices_are_the_most_frequent_on_priced_lines(rows, result):
    names: dict[str, Counter] = defaultdict(Counter)
    prices: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        if Decimal(r[5]) > 0:
            names[r[1].upper()][r[2].strip()] += 1
            if not r[0].startswith("C"):
                prices[r[1].upper()][Decimal(r[5])] += 1
    for code in ("85123A", "22423", "84879", "POST", "22086"):
        entry = result.catalog[code]
        assert names[code][entry.name] == max(names[code].values())
        assert prices[code][entry.price] == max(prices[code].values())
    assert result.catalog["20713"].name == "JUMBO BAG OWLS"
    assert result.catalog["POST"].is_product is False


def test_opening_stock_never_runs_short_and_is_minimal(rows, result):
    opening = result.opening_stock
    balance = {code: opening.get(code, Decimal(0)) for code in result.catalog}
    lowest = dict(balance)
    for inv, adjustment, lines in _independent_invoices(rows):
        if inv.startswith("A"):
            continue
        # found first, then write-offs, then the sale / restock, each in row order
        ordered = sorted(
            lines, key=lambda nr: (0 if adjustment and int(nr[1][3]) > 0 else 1, nr[0])
        )
        for _, r in ordered:
            code = r[1].upper()
            if not is_product_code(code):
                continue
            qty = int(r[3])
            balance[code] += qty if adjustment else -qty
            lowest[code] = min(lowest[code], balance[code])
    assert all(low >= 0 for low in lowest.values())
    for code, qty in opening.items():
        assert qty > 0
        assert lowest[code] == 0, code
    # codes never sold short need no opening stock
    assert all(lowest[code] > 0 or code in opening or balance[code] >= 0 for code in lowest)
    assert sum(opening.values()) == Decimal(137469)


def test_scan_with_until_and_limit_rows_reads_a_prefix(rows):
    limited = scan(SLICE, limit_rows=1000)
    assert limited.rows_read == 1000
    until = scan(SLICE, until=date(2010, 12, 1))
    assert until.rows_read == sum(1 for r in rows if r[4] < "2010-12-02")
    assert until.last_invoice_at.date() == date(2010, 12, 1)


def test_bad_debt_rows_are_kept_out_of_catalog_stock_and_sales(tmp_path):
    path = write_csv(
        tmp_path,
        "000001,11111,A,2,2010-12-01 10:00:00,1.50,1,UK\n"
        "A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom\n"
        "A563186,B,Adjust bad debt,1,2011-08-12 14:51:00,-11062.06,,United Kingdom\n",
    )
    result = scan(path)
    assert result.lines[LineKind.BAD_DEBT] == 2
    assert set(result.catalog) == {"11111"}
    assert result.net_sales == Decimal("3.00")
    assert result.opening_stock == {"11111": Decimal(2)}


def test_invalid_rows_are_counted_in_the_scan(tmp_path):
    path = write_csv(
        tmp_path,
        "000001,11111,A,2,2010-12-01 10:00:00,1.50,1,UK\n"
        "000001,11112,B,x,2010-12-01 10:00:00,1.50,1,UK\n",
    )
    result = scan(path)
    assert result.invalid_count == 1
    assert result.invalid_rows[0].row == 2
    assert result.rows_read == 2
    assert set(result.catalog) == {"11111"}


def test_iter_invoices_accepts_any_row_iterable():
    line = Line(
        row=1,
        invoice="1",
        code="11111",
        raw_code="11111",
        description="X",
        quantity=Decimal(1),
        unit_price=Decimal(1),
        occurred_at=datetime(2010, 12, 1, 9, 0),
        customer="1",
        country="UK",
    )
    (invoice,) = list(iter_invoices([line]))
    assert invoice.lines == [line]
