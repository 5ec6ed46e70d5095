"""Import of the committed Online Retail slice through the real services.

The first 5,500 rows of the slice (1–3 Dec 2010) span a cancellation, a
write-off, found stock, exact duplicate rows, a lower-case stock code and
non-product codes. They are imported once per module (inside a transaction
rolled back at the end) and every figure is checked against values computed
here independently from the same rows with the ``csv`` module.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum

from storekeep.catalog.models import Variant
from storekeep.importers.online_retail.replay import (
    IMPORT_USERNAME,
    LOCATION_CODE,
    SAMPLE_PATH,
    get_or_create_tenant,
    import_online_retail,
)
from storekeep.inventory.models import InventoryItem, LedgerRefType, StockLedger
from storekeep.pos.models import RegisterSession, Return, ReturnLine, Sale, SaleLine
from storekeep.tenants.models import Membership, Role
from storekeep.testing.db import planner_row_count

LIMIT = 5_500
LONDON = ZoneInfo("Europe/London")
CENT = Decimal("0.01")
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def is_product(code: str) -> bool:
    return len(code) >= 5 and code[:5].isdigit() and (code[5:] == "" or code[5:].isalpha())


class Expected:
    """Figures of the first ``LIMIT`` slice rows, computed with plain rules."""

    def __init__(self, limit: int) -> None:
        with gzip.open(SAMPLE_PATH, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            self.rows = [row for _, row in zip(range(limit), reader, strict=False)]
        invoices: dict[str, list[list[str]]] = defaultdict(list)
        for row in self.rows:
            invoices[row[0]].append(row)
        self.invoices = invoices
        self.adjustment = {
            inv
            for inv, rows in invoices.items()
            if not inv.startswith("C") and all(not r[6] and Decimal(r[5]) == 0 for r in rows)
        }
        self.cancellations = {inv for inv in invoices if inv.startswith("C")}
        self.sales = set(invoices) - self.adjustment - self.cancellations
        self.codes = {r[1].upper() for r in self.rows}
        self.sale_rows = [r for r in self.rows if r[0] in self.sales]
        self.cancel_rows = [r for r in self.rows if r[0] in self.cancellations]
        self.adjust_rows = [r for r in self.rows if r[0] in self.adjustment]
        self.sales_total = sum(
            (cents(int(r[3]) * Decimal(r[5])) for r in self.sale_rows), Decimal(0)
        )
        self.refunds = sum(
            (cents(-int(r[3]) * Decimal(r[5])) for r in self.cancel_rows), Decimal(0)
        )
        self.net_exact = sum(
            (int(r[3]) * Decimal(r[5]) for r in self.sale_rows + self.cancel_rows), Decimal(0)
        )
        # Final stock per product code: every product movement (sales out,
        # cancellations back in, adjustments by their quantity); the opening
        # stock is the lowest running balance in replay order, negated.
        order = sorted(
            invoices, key=lambda inv: (min(r[4] for r in invoices[inv]), self._first(inv))
        )
        balance: dict[str, int] = defaultdict(int)
        lowest: dict[str, int] = defaultdict(int)
        for inv in order:
            rows = invoices[inv]
            if inv in self.adjustment:
                rows = sorted(rows, key=lambda r: 0 if int(r[3]) > 0 else 1)
            for r in rows:
                code = r[1].upper()
                if not is_product(code):
                    continue
                qty = int(r[3])
                balance[code] += qty if inv in self.adjustment else -qty
                lowest[code] = min(lowest[code], balance[code])
        self.opening = {code: -low for code, low in lowest.items() if low < 0}
        self.final = {code: balance[code] + self.opening.get(code, 0) for code in balance}

    def _first(self, inv: str) -> int:
        return next(i for i, r in enumerate(self.rows) if r[0] == inv)


EXPECTED = Expected(LIMIT)


#: Planner row counts and real counts of the filled tables, read right after the import
#: (later tests' own imports ANALYZE too, and ANALYZE's pg_class update outlives their
#: rollback, so the figures must be taken before they run).
AFTER_IMPORT: dict[str, tuple[int | None, int]] = {}
FILLED = (StockLedger, Sale, SaleLine, InventoryItem, Variant)


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    """(tenant, summary) of importing the first LIMIT rows; rolled back after the module."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            tenant = get_or_create_tenant("online-retail-test")
            summary = import_online_retail(tenant=tenant, path=SAMPLE_PATH, limit_rows=LIMIT)
            for model in FILLED:
                AFTER_IMPORT[model.__name__] = (planner_row_count(model), model.objects.count())
            yield tenant, summary
            transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_slice_prefix_spans_the_quirks_under_test():
    rows = EXPECTED.rows
    assert EXPECTED.cancellations and EXPECTED.adjustment
    assert any(int(r[3]) < 0 for r in EXPECTED.adjust_rows)
    assert len({tuple(r) for r in rows}) < len(rows)
    assert any(r[1] != r[1].upper() for r in rows)
    assert any(not is_product(r[1].upper()) for r in rows)


def test_summary_counts_every_row_once(imported):
    _, summary = imported
    assert summary.rows_read == LIMIT
    assert summary.sales == len(EXPECTED.sales)
    assert summary.returns == len(EXPECTED.cancellations)
    assert summary.sale_lines == len(EXPECTED.sale_rows)
    assert summary.adjustment_lines + summary.skipped["adjustment_non_stock"] == len(
        EXPECTED.adjust_rows
    )
    assert summary.skipped["insufficient_stock"] == 0
    assert "invalid" not in summary.skipped
    assert "rows read 5500" in summary.line()


def test_catalog_has_one_variant_per_case_insensitive_code(imported):
    tenant, _ = imported
    variants = {v.sku: v for v in Variant.objects.filter(tenant=tenant).select_related("product")}
    assert set(variants) == EXPECTED.codes
    lowered = {r[1] for r in EXPECTED.rows if r[1] != r[1].upper()}
    assert lowered and not (lowered & set(variants))
    for code, variant in variants.items():
        assert variant.track_inventory is is_product(code), code
    assert variants["POST"].product.name == "POSTAGE"
    assert variants["85123A"].product.name == "WHITE HANGING HEART T-LIGHT HOLDER"
    prices = Counter(Decimal(r[5]) for r in EXPECTED.sale_rows if r[1].upper() == "85123A")
    assert prices[variants["85123A"].price] == max(prices.values())


def test_sales_carry_the_invoice_lines_prices_and_times(imported):
    tenant, _ = imported
    sales = Sale.objects.filter(tenant=tenant, source=Sale.Source.IMPORT)
    assert set(sales.values_list("external_ref", flat=True)) == EXPECTED.sales
    assert SaleLine.objects.filter(tenant=tenant).count() == len(EXPECTED.sale_rows)
    totals = sales.aggregate(total=Sum("total"), tax=Sum("tax_total"))
    assert totals["total"] == EXPECTED.sales_total
    assert totals["tax"] == 0
    first = sales.get(external_ref="536365")
    assert first.completed_at == datetime(2010, 12, 1, 8, 26, tzinfo=LONDON)
    assert first.customer_ref == "17850"
    lines = list(first.lines.order_by("line_no").values_list("variant__sku", "qty", "unit_price"))
    expected = [(r[1].upper(), Decimal(r[3]), Decimal(r[5])) for r in EXPECTED.invoices["536365"]]
    assert lines == expected
    # duplicate rows stay separate lines
    duplicated = Counter(tuple(r) for r in EXPECTED.sale_rows)
    (row, copies), *_ = [(r, n) for r, n in duplicated.items() if n > 1]
    assert (
        SaleLine.objects.filter(
            tenant=tenant,
            sale__external_ref=row[0],
            variant__sku=row[1].upper(),
            qty=Decimal(row[3]),
        ).count()
        >= copies
    )


def test_cancellations_become_finalized_returns_that_restock_products(imported):
    tenant, _ = imported
    returns = Return.objects.filter(tenant=tenant)
    assert {ref.split("/")[0] for ref in returns.values_list("external_ref", flat=True)} == (
        EXPECTED.cancellations
    )
    assert not returns.exclude(status=Return.Status.FINALIZED).exists()
    lines = ReturnLine.objects.filter(tenant=tenant)
    assert lines.aggregate(q=Sum("qty"))["q"] == sum(-int(r[3]) for r in EXPECTED.cancel_rows)
    assert returns.aggregate(t=Sum("refund_total"))["t"] == EXPECTED.refunds
    matched = lines.exclude(sale_line=None)
    assert matched.exists() and lines.filter(sale_line=None).exists()
    for line in matched.select_related("sale_line__sale", "ret"):
        assert line.unit_price == line.sale_line.unit_price
        assert line.sale_line.sale.completed_at <= line.ret.finalized_at
    restocked = StockLedger.objects.filter(tenant=tenant, ref_type=LedgerRefType.RETURN)
    assert restocked.aggregate(q=Sum("qty_delta"))["q"] == sum(
        -int(r[3]) for r in EXPECTED.cancel_rows if is_product(r[1].upper())
    )


def test_stock_ends_where_the_rows_say_and_the_ledger_agrees(imported):
    tenant, _ = imported
    on_hand = dict(
        InventoryItem.objects.filter(tenant=tenant, location__code=LOCATION_CODE).values_list(
            "variant__sku", "on_hand"
        )
    )
    assert {code: int(qty) for code, qty in on_hand.items()} == EXPECTED.final
    opening = StockLedger.objects.filter(
        tenant=tenant, ref_type=LedgerRefType.RECEIPT, reason="initial"
    )
    assert dict(opening.values_list("variant__sku", "qty_delta")) == {
        code: Decimal(qty) for code, qty in EXPECTED.opening.items()
    }
    assert {row.created_at for row in opening} == {datetime(2010, 11, 30, tzinfo=LONDON)}
    ledger = dict(
        StockLedger.objects.filter(tenant=tenant)
        .values("variant__sku")
        .annotate(total=Sum("qty_delta"))
        .values_list("variant__sku", "total")
    )
    assert ledger == on_hand
    out = StdoutCapture()
    call_command("inventory_check", tenant=tenant.slug, by_ref_type=True, stdout=out.buffer)
    assert "OK" in out.text


def test_every_items_ledger_runs_in_time_order_with_chained_balances(imported):
    """Sales are written in batches and a return of other variants does not wait for
    the queue, so rows of different items are not in time order by id; each item's are."""
    tenant, _ = imported
    rows = (
        StockLedger.objects.filter(tenant=tenant)
        .order_by("pk")
        .values_list(
            "pk",
            "location_id",
            "variant_id",
            "created_at",
            "qty_delta",
            "balance_after",
            "ref_type",
        )
    )
    last: dict[tuple[int, int], tuple] = {}
    latest_return = None
    overtaken = 0
    for pk, location_id, variant_id, at, delta, balance, ref_type in rows:
        previous = last.get((location_id, variant_id))
        if previous is not None:
            assert at >= previous[0], (variant_id, pk)
            assert balance == previous[1] + delta, (variant_id, pk)
        last[(location_id, variant_id)] = (at, balance)
        if ref_type == LedgerRefType.RETURN:
            latest_return = at if latest_return is None else max(latest_return, at)
        elif ref_type == LedgerRefType.SALE and latest_return is not None and at < latest_return:
            overtaken += 1  # a queued sale written after a later return of other variants
    assert overtaken, "the slice should exercise a return that did not wait for the queue"


def test_write_offs_and_found_stock_are_adjustments_with_reasons(imported):
    tenant, _ = imported
    negative = [r for r in EXPECTED.adjust_rows if int(r[3]) < 0 and is_product(r[1].upper())]
    positive = [r for r in EXPECTED.adjust_rows if int(r[3]) > 0 and is_product(r[1].upper())]
    waste = StockLedger.objects.filter(tenant=tenant, ref_type=LedgerRefType.WASTE)
    found = StockLedger.objects.filter(tenant=tenant, ref_type=LedgerRefType.ADJUSTMENT)
    assert waste.count() == len(negative)
    assert found.count() == len(positive)
    assert waste.aggregate(q=Sum("qty_delta"))["q"] == sum(int(r[3]) for r in negative)
    assert found.aggregate(q=Sum("qty_delta"))["q"] == sum(int(r[3]) for r in positive)
    assert set(waste.values_list("reason", flat=True)) <= {
        "damage",
        "spoilage",
        "correction",
        "other",
    }
    assert set(found.values_list("reason", flat=True)) == {"correction"}
    for row in waste:
        assert row.ref_id in EXPECTED.adjustment
    noted = [r for r in negative if r[2].strip().lower() in {"damaged", "damages"}]
    if noted:
        assert waste.get(ref_id=noted[0][0]).reason == "damage"


def test_one_closed_register_session_per_trading_day(imported):
    tenant, _ = imported
    sessions = RegisterSession.objects.filter(tenant=tenant)
    days = {r[4][:10] for r in EXPECTED.rows}
    assert sessions.count() == len(days)
    assert set(sessions.values_list("status", flat=True)) == {RegisterSession.Status.CLOSED}
    assert {s.opened_at.astimezone(LONDON).date().isoformat() for s in sessions} == days
    per_session = (
        Sale.objects.filter(tenant=tenant).values("register_session").annotate(n=Count("id"))
    )
    assert all(row["n"] > 0 for row in per_session)
    assert sessions.first().opened_by.username == IMPORT_USERNAME
    # Opened and closed through the POS services, dated by the day's first and last invoice.
    for session in sessions:
        assert (
            session.closed_at.astimezone(LONDON).date()
            == session.opened_at.astimezone(LONDON).date()
        )
        assert session.closed_at >= session.opened_at
        assert session.closed_by.username == IMPORT_USERNAME
        assert (session.expected_cash, session.counted_cash, session.variance) == (0, 0, 0)
    account = Membership.objects.get(tenant=tenant, user__username=IMPORT_USERNAME)
    assert account.role == Role.MANAGER


def test_sales_summary_api_equals_the_file_to_the_penny(imported, client_for):
    tenant, _ = imported
    client = client_for(Role.OWNER, tenant_=tenant)
    response = client.get("/api/v1/reports/sales_summary")
    assert response.status_code == 200, response.content
    totals = response.json()["totals"]
    assert Decimal(totals["net_sales"]) == cents(EXPECTED.net_exact)
    assert Decimal(totals["net_sales"]) == EXPECTED.sales_total - EXPECTED.refunds
    assert totals["sales_count"] == len(EXPECTED.sales)


class StdoutCapture:
    def __init__(self) -> None:
        self.buffer = StringIO()

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


# --- restart, invalid rows, no opening stock, the command -------------------------------


def write_csv(tmp_path, body: str):
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_second_run_continues_and_never_duplicates():
    rows = EXPECTED.rows
    # cut at invoice boundaries, as an interrupted run leaves whole days/invoices
    short, full = (
        next(i for i in range(n, len(rows)) if rows[i][0] != rows[i - 1][0]) for n in (800, 1600)
    )
    tenant = get_or_create_tenant("online-retail-restart")
    first = import_online_retail(tenant=tenant, path=SAMPLE_PATH, limit_rows=short)
    second = import_online_retail(tenant=tenant, path=SAMPLE_PATH, limit_rows=full)
    third = import_online_retail(tenant=tenant, path=SAMPLE_PATH, limit_rows=full)
    expected = Expected(full)
    refs = list(Sale.objects.filter(tenant=tenant).values_list("external_ref", flat=True))
    assert len(refs) == len(set(refs))
    assert set(refs) == expected.sales
    assert second.already_imported == first.invoices
    assert third.invoices == 0 and third.already_imported == second.invoices + first.invoices
    assert Sale.objects.filter(tenant=tenant).aggregate(t=Sum("total"))["t"] == expected.sales_total
    final = dict(InventoryItem.objects.filter(tenant=tenant).values_list("variant__sku", "on_hand"))
    assert all(qty >= 0 for qty in final.values())
    call_command("inventory_check", tenant=tenant.slug, stdout=StringIO())


def test_invalid_rows_are_reported_with_their_row_number_and_skipped(tmp_path):
    path = write_csv(
        tmp_path,
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,UK\n"
        "536365,71053,WHITE METAL LANTERN,six,2010-12-01 08:26:00,3.39,17850,UK\n"
        "536365,,NO CODE,6,2010-12-01 08:26:00,3.39,17850,UK\n"
        "536365,84406B,CREAM CUPID HEARTS COAT HANGER,8,2010-12-01 08:26:00,2.75,17850,UK\n"
        "536366,22633,HAND WARMER UNION JACK,6,2010-13-01 08:28:00,1.85,17850,UK\n",
    )
    tenant = get_or_create_tenant("online-retail-invalid")
    summary = import_online_retail(tenant=tenant, path=path)
    assert summary.skipped["invalid"] == 3
    assert [item.row for item in summary.invalid_rows] == [2, 3, 5]
    sale = Sale.objects.get(tenant=tenant, external_ref="536365")
    assert list(sale.lines.order_by("line_no").values_list("variant__sku", flat=True)) == [
        "85123A",
        "84406B",
    ]
    assert sale.total == Decimal("37.30")
    assert not Sale.objects.filter(tenant=tenant, external_ref="536366").exists()
    assert not Variant.objects.filter(tenant=tenant, sku__in=["71053", "22633"]).exists()


def test_without_opening_stock_short_invoices_are_skipped_and_counted(tmp_path):
    path = write_csv(
        tmp_path,
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,UK\n"
        "536366,85123A,found,10,2010-12-01 09:00:00,0,,UK\n"
        "536367,85123A,HEART,4,2010-12-01 10:00:00,2.55,17850,UK\n"
        "536368,POST,POSTAGE,1,2010-12-01 10:00:00,18.00,12345,UK\n"
        "A563185,B,Adjust bad debt,1,2010-12-01 11:00:00,11062.06,,UK\n",
    )
    tenant = get_or_create_tenant("online-retail-none")
    summary = import_online_retail(tenant=tenant, path=path, opening_stock="none")
    assert summary.skipped["insufficient_stock"] == 1
    assert summary.skipped["bad_debt"] == 1
    assert set(Sale.objects.filter(tenant=tenant).values_list("external_ref", flat=True)) == {
        "536367",
        "536368",
    }
    item = InventoryItem.objects.get(tenant=tenant, variant__sku="85123A")
    assert item.on_hand == Decimal("6")
    assert not StockLedger.objects.filter(tenant=tenant, reason="initial").exists()


def test_command_prints_one_summary_line(tmp_path):
    path = write_csv(
        tmp_path,
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,UK\n"
        "536365,85123a,HEART,2,2010-12-01 08:26:00,2.55,17850,UK\n"
        "C536379,85123A,HEART,-1,2010-12-01 09:41:00,2.55,17850,UK\n"
        "536380,85123A,HEART,1,2010-12-02 09:41:00,2.55,,UK\n",
    )
    out, err = StringIO(), StringIO()
    call_command(
        "import_online_retail",
        str(path),
        "--tenant",
        "or-cmd",
        "--until",
        "2010-12-01",
        "--no-progress",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert text.count("\n") == 1
    assert "rows read 3" in text and "net sales total £17.85" in text
    ret = Return.objects.get(tenant__slug="or-cmd", external_ref="C536379")
    assert ret.sale.external_ref == "536365" and ret.refund_total == Decimal("2.55")
    assert ret.finalized_at.date() == date(2010, 12, 1)


def test_a_cancellation_in_a_later_run_matches_a_sale_of_an_earlier_run(tmp_path):
    path = write_csv(
        tmp_path,
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,UK\n"
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.95,17850,UK\n"
        "C536400,85123A,HEART,-8,2010-12-02 09:00:00,2.55,17850,UK\n",
    )
    tenant = get_or_create_tenant("online-retail-rematch")
    import_online_retail(tenant=tenant, path=path, until=date(2010, 12, 1))
    summary = import_online_retail(tenant=tenant, path=path)
    assert summary.returns == 1 and summary.already_imported == 1
    matched = Return.objects.get(tenant=tenant, external_ref="C536400")
    assert matched.sale.external_ref == "536365"
    assert matched.refund_total == Decimal("15.30")  # 6 × 2.55 from the 2.55 line only
    rest = Return.objects.get(tenant=tenant, external_ref="C536400/2")
    assert rest.sale is None and rest.refund_total == Decimal("5.10")  # 2 more, no receipt
    item = InventoryItem.objects.get(tenant=tenant, variant__sku="85123A")
    assert item.on_hand == Decimal("8")
    assert summary.net_sales_total == Decimal("15.30") + Decimal("17.70") - Decimal("20.40")


def test_the_import_leaves_planner_statistics_of_the_tables_it_filled(imported):
    assert set(AFTER_IMPORT) == {model.__name__ for model in FILLED}
    for name, (planned, counted) in AFTER_IMPORT.items():
        assert planned == counted, name
