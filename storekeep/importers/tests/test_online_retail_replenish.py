"""``--replenish weekly``: the Online Retail replay buys its stock weekly from the reorder
suggestions instead of receiving an opening stock.

Module ``online_retail/replenish.py``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from storekeep.importers.online_retail.replay import get_or_create_tenant
from storekeep.importers.online_retail.replenish import import_with_replenishment
from storekeep.inventory.models import InventoryItem, LedgerRefType, StockLedger
from storekeep.inventory.selectors import ledger_parity_mismatches
from storekeep.pos.models import Sale
from storekeep.purchasing.models import PurchaseOrder

pytestmark = pytest.mark.django_db
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
# Week of 29 Nov 2010: the initial order (from that week's demand, A 9 and B 4 → points 12 and 6)
# is in stock on 1 Dec. Week of 6 Dec: ordered Monday (A 12 − 3, B 6 − 2), received Wednesday
# (lead time 2 days): Monday's sale of 5 A (3 left) is a stock-out.
ROWS = (
    "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,UK\n"
    "536365,84406B,CREAM,4,2010-12-01 08:26:00,2.75,17850,UK\n"
    "536366,85123A,HEART,3,2010-12-02 09:00:00,2.55,17850,UK\n"
    "536370,85123A,HEART,5,2010-12-06 10:00:00,2.55,12345,UK\n"
    "536371,85123A,HEART,5,2010-12-08 10:00:00,2.55,12345,UK\n"
    "536372,84406B,CREAM,2,2010-12-09 10:00:00,2.75,12345,UK\n"
)


def write_csv(tmp_path):
    path = tmp_path / "replenish.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def test_weekly_replenishment_orders_receives_and_reports_fill_rate(tmp_path):
    tenant = get_or_create_tenant("or-replenish")
    summary = import_with_replenishment(tenant=tenant, path=write_csv(tmp_path), lead_days=2)
    assert summary.weeks == 2
    assert (summary.purchase_orders, summary.po_lines) == (2, 4)
    # reorder points = weekly demand × (2 + 7) / 7, rounded up: 9 → 12, 4 → 6
    assert summary.units_received == Decimal("31")  # 12 + 6, then 9 + 4
    assert (summary.sale_lines_asked, summary.stock_out_lines, summary.stock_out_invoices) == (
        6,
        1,
        1,
    )
    assert summary.fill_rate == pytest.approx(5 / 6)
    assert summary.unit_fill_rate == pytest.approx(20 / 25)
    assert (
        "fill rate 83.3% of lines" in summary.line() and "stock-outs 1 sale lines" in summary.line()
    )

    orders = list(PurchaseOrder.objects.filter(tenant=tenant).order_by("pk"))
    assert all(order.status == PurchaseOrder.Status.RECEIVED for order in orders)
    assert [
        {line.variant.sku: line.qty_ordered for line in order.lines.select_related("variant")}
        for order in orders
    ] == [
        {"85123A": Decimal("12"), "84406B": Decimal("6")},
        {"85123A": Decimal("9"), "84406B": Decimal("4")},
    ]
    receipts = StockLedger.objects.filter(
        tenant=tenant, ref_type=LedgerRefType.PURCHASE_ORDER_RECEIPT
    )
    london = ZoneInfo("Europe/London")
    assert {row.created_at.astimezone(london) for row in receipts} == {
        datetime(2010, 12, 1, 6, tzinfo=london),
        datetime(2010, 12, 8, 6, tzinfo=london),
    }
    assert not StockLedger.objects.filter(
        tenant=tenant, reason="initial"
    ).exists()  # no opening stock
    assert set(Sale.objects.filter(tenant=tenant).values_list("external_ref", flat=True)) == {
        "536365",
        "536366",
        "536371",
        "536372",
    }
    on_hand = dict(
        InventoryItem.objects.filter(tenant=tenant).values_list("variant__sku", "on_hand")
    )
    assert on_hand == {"85123A": Decimal("7"), "84406B": Decimal("4")}
    assert ledger_parity_mismatches(tenant=tenant)[0] == []


def test_command_option_prints_the_replenishment_summary(tmp_path):
    out = StringIO()
    call_command(
        "import_online_retail",
        str(write_csv(tmp_path)),
        "--tenant",
        "or-replenish-cmd",
        "--replenish",
        "weekly",
        "--lead-days",
        "2",
        "--no-progress",
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert text.count("\n") == 1
    assert "replenish weekly (lead time 2 days): 2 weeks, 2 purchase orders / 4 lines" in text
    assert "fill rate 83.3% of lines, 80.0% of units" in text
