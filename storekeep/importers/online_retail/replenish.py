"""``--replenish weekly``: replay the Online Retail year without an opening stock,
buying stock every week from the reorder suggestions (SPEC §6, §13).

:class:`ReplenishingImporter` is :class:`.replay.OnlineRetailImporter` with its
hooks filled: ``on_catalog_ready`` (the vendor and its links), ``on_day`` (the
weekly order and the receipts due) and ``on_sale_asked`` (demand and stock-outs).

Policy (periodic review, order-up-to), for the import location ``WEB``:

* one active vendor ``Online Retail supplier`` (lead time ``lead_days``,
  default 3) linked to every stock variant, at an assumed unit cost of 60 %
  of the catalogue price (the file has no costs);
* at the first trading day of each ISO week, every variant's reorder point
  is set to its average weekly demand over the last ``history_weeks`` weeks
  (units asked for by sale invoices, refused ones included) × (lead time +
  one week) / 7, rounded up; ``reorder_qty`` stays empty, so the suggested
  quantity is ``threshold − available`` net of open orders (SPEC §6);
* ``purchase_orders_from_suggestions`` drafts the week's order, which is
  submitted at once and received ``lead_days`` later (PURCHASE_ORDER_RECEIPT
  rows dated 06:00 that day, moving-average cost);
* the first week has no history: its demand is read ahead in the file (the
  only look-ahead) and an initial order, placed ``lead_days`` before trading
  starts, is in stock on the first morning;
* a sale invoice that would run short is refused whole (as with
  ``--opening-stock none``): these are the stock-outs.

The summary adds weeks, orders, units received, refused (stock-out) sale
lines and the fill rate (sale lines served / sale lines asked for; and in units).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from storekeep.catalog.models import Variant
from storekeep.core.errors import Unprocessable
from storekeep.inventory.models import InventoryItem
from storekeep.purchasing.models import PurchaseOrder, Vendor, VendorVariant
from storekeep.purchasing.services import (
    ReceiveLineInput,
    purchase_order_receive,
    purchase_order_submit,
    purchase_orders_from_suggestions,
)

from .classify import InvoiceKind, LineKind
from .forecast import Needs, needs_of
from .invoices import Invoice
from .plan import read_invoices
from .reader import InvalidRow
from .replay import ImportSummary, OnlineRetailImporter, default_path, get_or_create_tenant
from .times import aware

ZERO = Decimal("0")
VENDOR_NAME = "Online Retail supplier"
COST_RATIO = Decimal("0.6")


@dataclass
class ReplenishSummary(ImportSummary):
    """:class:`.replay.ImportSummary` plus the replenishment figures."""

    lead_days: int = 3
    weeks: int = 0
    purchase_orders: int = 0
    po_lines: int = 0
    units_received: Decimal = ZERO
    sale_lines_asked: int = 0
    stock_out_lines: int = 0
    stock_out_invoices: int = 0
    units_asked: Decimal = ZERO
    units_refused: Decimal = ZERO

    @property
    def fill_rate(self) -> float:
        """Sale lines served / sale lines asked for (0…1)."""
        return 1 - self.stock_out_lines / self.sale_lines_asked if self.sale_lines_asked else 1.0

    @property
    def unit_fill_rate(self) -> float:
        return float(1 - self.units_refused / self.units_asked) if self.units_asked else 1.0

    def line(self) -> str:
        return (
            f"{super().line()}; replenish weekly (lead time {self.lead_days} days): {self.weeks} weeks, "
            f"{self.purchase_orders} purchase orders / {self.po_lines} lines, "
            f"{self.units_received.normalize():f} units received; stock-outs {self.stock_out_lines} sale lines "
            f"({self.stock_out_invoices} invoices refused); fill rate {self.fill_rate:.1%} of lines, "
            f"{self.unit_fill_rate:.1%} of units"
        )


class ReplenishingImporter(OnlineRetailImporter):
    """The Online Retail replay with weekly purchase orders instead of an opening stock."""

    filled_apps = (*OnlineRetailImporter.filled_apps, "purchasing")

    def __init__(self, *, lead_days: int = 3, history_weeks: int = 4, **kwargs) -> None:
        if lead_days < 0 or lead_days > 60:
            raise ValueError("lead_days is between 0 and 60")
        if history_weeks < 1:
            raise ValueError("history_weeks is at least 1")
        kwargs["opening_stock"] = "none"
        super().__init__(**kwargs)
        self.summary = ReplenishSummary(path=str(self.path), lead_days=lead_days)
        self.lead_days = lead_days
        self.history_weeks = history_weeks
        self.week: tuple[int, int] | None = None
        self.week_demand: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.history: deque[dict[int, Decimal]] = deque(maxlen=history_weeks)
        self.due: list[tuple[date, int]] = []  # (receipt day, purchase order id)

    # --- set-up: the vendor and its links -------------------------------------------

    def on_catalog_ready(self) -> None:
        """The supplier, linked to every stock variant; orders of an earlier run still due."""
        self.vendor, _ = Vendor.objects.get_or_create(
            tenant=self.tenant, name=VENDOR_NAME, defaults={"lead_time_days": self.lead_days}
        )
        linked = set(
            VendorVariant.objects.filter(tenant=self.tenant, vendor=self.vendor).values_list(
                "variant_id", flat=True
            )
        )
        VendorVariant.objects.bulk_create(
            [
                VendorVariant(
                    tenant=self.tenant,
                    vendor=self.vendor,
                    variant=v,
                    vendor_sku=v.sku,
                    unit_cost=(v.price * COST_RATIO).quantize(Decimal("0.0001")),
                    is_preferred=True,
                )
                for v in self.variants.values()
                if v.track_inventory and v.pk not in linked
            ],
            batch_size=1000,
        )
        # Orders of an interrupted earlier run still on their way arrive first.
        for order_id in PurchaseOrder.objects.filter(
            tenant=self.tenant,
            location=self.location,
            vendor=self.vendor,
            status__in=[PurchaseOrder.Status.SUBMITTED, PurchaseOrder.Status.PARTIAL_RECEIVED],
        ).values_list("pk", flat=True):
            self.due.append((date.min, order_id))

    # --- the weekly cycle -------------------------------------------------------------

    def on_day(self, day: date) -> None:
        """At a new ISO week, order from the suggestions; every day, receive what is due."""
        week = tuple(day.isocalendar())[:2]
        if week != self.week:
            if self.week is None:  # first week: an initial order, in stock when trading starts
                self._order(day, arrive=day, history=[self._first_week_demand(day)])
            else:
                self.history.append(dict(self.week_demand))
                self._order(
                    day, arrive=day + timedelta(days=self.lead_days), history=list(self.history)
                )
            self.week_demand = defaultdict(lambda: ZERO)
            self.week = week
            self.summary.weeks += 1
        self._receive_due(day)

    def _first_week_demand(self, first_day: date) -> dict[int, Decimal]:
        """Units asked for by the sale invoices of ``first_day``'s ISO week (a forecast for the
        initial order, read ahead in the file: streams only those days)."""
        horizon = first_day + timedelta(days=7 - first_day.weekday())
        demand: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for item in read_invoices(self.path, limit_rows=self.limit_rows, until=self.until):
            if isinstance(item, InvalidRow) or item.day < first_day:
                continue
            if item.day >= horizon:
                break
            if item.kind is InvoiceKind.SALE and item.number not in self.done:
                for variant_id, qty in needs_of(item, (LineKind.SALE,), self.variants).items():
                    demand[variant_id] += qty
        return dict(demand)

    def _receive_due(self, day: date) -> None:
        due, self.due = [d for d in self.due if d[0] <= day], [d for d in self.due if d[0] > day]
        for when, order_id in due:
            order = PurchaseOrder.objects.get(pk=order_id)
            lines = [
                ReceiveLineInput(
                    variant_id=line.variant_id, qty=line.qty_ordered - line.qty_received
                )
                for line in order.lines.all()
                if line.qty_ordered > line.qty_received
            ]
            if not lines:
                continue
            moment = datetime.combine(day if when == date.min else when, time(6, 0))
            purchase_order_receive(
                tenant=self.tenant,
                order_id=order_id,
                lines=lines,
                actor=self.user,
                occurred_at=aware(moment),
            )
            for line in lines:
                self.forecast.add({line.variant_id: line.qty})
                self.summary.units_received += line.qty

    def _order(self, day: date, *, arrive: date, history: list[dict[int, Decimal]]) -> None:
        """Set reorder points from ``history`` (weekly demand maps), draft the suggested
        order, submit it and schedule its receipt on ``arrive``."""
        if not history:
            return
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for week in history:
            for variant_id, qty in week.items():
                totals[variant_id] += qty
        cover = Decimal(self.lead_days + 7) / 7
        points = {
            variant_id: Decimal(math.ceil(total / len(history) * cover))
            for variant_id, total in totals.items()
        }
        variants = list(Variant.objects.filter(tenant=self.tenant, pk__in=self.variants_ids()))
        for variant in variants:
            variant.reorder_point = points.get(variant.pk, ZERO)
        Variant.objects.bulk_update(variants, ["reorder_point"], batch_size=1000)
        InventoryItem.objects.bulk_create(
            [
                InventoryItem(
                    tenant=self.tenant,
                    location=self.location,
                    variant_id=variant_id,
                    allow_negative=self.tenant.allow_negative_stock,
                )
                for variant_id, point in points.items()
                if point > 0
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        try:
            result = purchase_orders_from_suggestions(
                tenant=self.tenant,
                filters={"location_ids": [self.location.pk], "vendor_id": self.vendor.pk},
                actor=self.user,
            )
        except Unprocessable:
            return  # nothing to order this week
        for order in result["orders"]:
            order.note = f"Weekly replenishment, week of {day.isoformat()}"
            order.expected_at = arrive
            order.save(update_fields=["note", "expected_at", "updated_at"])
            purchase_order_submit(tenant=self.tenant, order_id=order.pk, actor=self.user)
            self.due.append((arrive, order.pk))
            self.summary.purchase_orders += 1
            self.summary.po_lines += order.lines.count()

    def variants_ids(self) -> list[int]:
        return [v.pk for v in self.variants.values() if v.track_inventory]

    # --- demand and stock-outs ------------------------------------------------------------

    def on_sale_asked(self, invoice: Invoice, needs: Needs, served: bool) -> None:
        """Count the week's demand (refused invoices included) and the stock-outs."""
        for variant_id, qty in needs.items():
            self.week_demand[variant_id] += qty
        asked = sum(needs.values(), ZERO)
        self.summary.sale_lines_asked += len(invoice.lines)
        self.summary.units_asked += asked
        if not served:
            self.summary.stock_out_lines += len(invoice.lines)
            self.summary.stock_out_invoices += 1
            self.summary.units_refused += asked


def import_with_replenishment(
    *,
    tenant="online-retail",
    path=None,
    limit_rows=None,
    until=None,
    lead_days: int = 3,
    history_weeks: int = 4,
    progress: bool = False,
    log=None,
) -> ReplenishSummary:
    """Import the file replenishing weekly from the reorder suggestions (see the module docstring).

    Arguments as :func:`.replay.import_online_retail` (no ``opening_stock``:
    there is none) plus ``lead_days`` (days from order to receipt, 0…60) and
    ``history_weeks`` (weeks of demand averaged for the reorder points).
    Returns a :class:`ReplenishSummary`. Raises ``ValueError`` for bad
    arguments or a file that is not the dataset.
    """
    from pathlib import Path

    if isinstance(tenant, str):
        tenant = get_or_create_tenant(tenant)
    importer = ReplenishingImporter(
        tenant=tenant,
        path=Path(path) if path else default_path(),
        limit_rows=limit_rows,
        until=until,
        progress=progress,
        log=log,
        lead_days=lead_days,
        history_weeks=history_weeks,
    )
    return importer.run()
