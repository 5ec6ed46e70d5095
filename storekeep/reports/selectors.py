"""Reads of the reports (SPEC §9): inventory KPIs, movements, valuation, sales summary.

Every function is keyword-only, tenant first, and returns plain data or a
queryset with a constant number of queries whatever the page size. Dates are
inclusive and tenant-local (``Tenant.day_bounds``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import LessThanOrEqual

from storekeep.catalog.models import Variant
from storekeep.core.filters import filter_queryset
from storekeep.core.numbers import money
from storekeep.inventory.filters import StockSummaryFilter
from storekeep.inventory.models import (
    CountSession,
    InventoryItem,
    InventoryTransfer,
    LedgerRefType,
    StockLedger,
)
from storekeep.inventory.rules import (
    ZERO,
    available_expression,
    stock_value_expression,
    threshold_expression,
)
from storekeep.locations.models import Location
from storekeep.pos.models import Register, Return, Sale, SaleLine
from storekeep.purchasing.models import PurchaseOrder

from .filters import MovementFilter, ValuationFilter

MONEY_ZERO = Decimal("0.00")
QTY_SUM_FIELD = DecimalField(max_digits=16, decimal_places=3)


# --- inventory overview ---------------------------------------------------------------------


def inventory_overview(*, tenant, location_ids=None, filters: dict | None = None) -> dict:
    """Inventory KPIs (SPEC §9), over ``location_ids`` (None = every location).

    Returns ``{total_skus (distinct tracked variants with on hand ≠ 0),
    total_qty, total_value (Σ on hand × average cost, to the cent),
    low_stock_count (items with available ≤ threshold), transfers_in_transit
    (IN_TRANSIT or PARTIAL_RECEIVED, touching the locations), open_purchase_orders
    (SUBMITTED or PARTIAL_RECEIVED), active_counts (DRAFT or IN_PROGRESS)}``.
    ``filters``: ``category`` (id) and ``search`` (SKU, barcode or name, as the stock
    list) narrow every figure to the matching variants: the item KPIs count only their
    items, the document counts only documents with a line of one of them (issue 15 item 4).
    """
    filters = {key: filters[key] for key in ("category", "search") if (filters or {}).get(key)}
    items = InventoryItem.objects.filter(tenant=tenant, variant__track_inventory=True)
    transfers = InventoryTransfer.objects.filter(
        tenant=tenant,
        status__in=[InventoryTransfer.Status.IN_TRANSIT, InventoryTransfer.Status.PARTIAL_RECEIVED],
    )
    orders = PurchaseOrder.objects.filter(
        tenant=tenant,
        status__in=[PurchaseOrder.Status.SUBMITTED, PurchaseOrder.Status.PARTIAL_RECEIVED],
    )
    counts = CountSession.objects.filter(
        tenant=tenant, status__in=[CountSession.Status.DRAFT, CountSession.Status.IN_PROGRESS]
    )
    if location_ids is not None:
        items = items.filter(location_id__in=location_ids)
        transfers = transfers.filter(
            Q(from_location_id__in=location_ids) | Q(to_location_id__in=location_ids)
        )
        orders = orders.filter(location_id__in=location_ids)
        counts = counts.filter(location_id__in=location_ids)
    if filters:
        variants = filter_queryset(
            StockSummaryFilter, Variant.objects.filter(tenant=tenant), filters, tenant=tenant
        ).values("pk")
        items = items.filter(variant_id__in=variants)
        transfers = transfers.filter(_has_line(transfers.model, "transfer", variants))
        orders = orders.filter(_has_line(orders.model, "order", variants))
        counts = counts.filter(_has_line(counts.model, "session", variants))
    # One pass over the items: the low ones are those stock_level_list marks is_low_stock (its
    # category/search filters select the same variants as StockSummaryFilter's).
    totals = items.aggregate(
        total_skus=Count("variant_id", distinct=True, filter=~Q(on_hand=0)),
        total_qty=Sum("on_hand"),
        total_value=Sum(stock_value_expression()),
        low_stock_count=Count(
            "pk", filter=LessThanOrEqual(available_expression(), threshold_expression(tenant))
        ),
    )
    return {
        "total_skus": totals["total_skus"] or 0,
        "total_qty": totals["total_qty"] or ZERO,
        "total_value": money(totals["total_value"]),
        "low_stock_count": totals["low_stock_count"],
        "transfers_in_transit": transfers.count(),
        "open_purchase_orders": orders.count(),
        "active_counts": counts.count(),
    }


def _has_line(document_model, parent_field: str, variants) -> Exists:
    """The document has a line of one of ``variants`` (its lines' ``related_name`` is lines)."""
    line_model = document_model._meta.get_field("lines").related_model
    return Exists(
        line_model.objects.filter(**{parent_field: OuterRef("pk"), "variant_id__in": variants})
    )


# --- movements per variant ------------------------------------------------------------------

R = LedgerRefType
#: Report column → the ledger ref types summed into it (SPEC §9).
MOVEMENT_COLUMNS = {
    "purchases": [R.RECEIPT, R.PURCHASE_ORDER_RECEIPT],
    "sales": [R.SALE, R.RECIPE_CONSUMPTION, R.RESERVATION_CONFIRM],
    "returns": [R.RETURN],
    "voids": [R.VOID],
    "adjustments": [R.ADJUSTMENT, R.COUNT_RECONCILE],
    "transfers_in": [R.TRANSFER_IN],
    "transfers_out": [R.TRANSFER_OUT],
    "waste": [R.WASTE],
    "expired": [R.EXPIRY],
}


def movement_report(
    *, tenant, date_from, date_to, filters: dict | None = None, location_ids=None
) -> MovementReport:
    """One aggregate row per variant that moved between the tenant-local dates (inclusive).

    Each row (a dict): ``variant_id``, ``variant__sku``, ``variant__name``,
    ``variant__product__name``, ``moves``, ``opening_balance`` (Σ qty_delta
    before the range, over the items in scope), ``net_change`` (Σ in the
    range) and one sum per :data:`MOVEMENT_COLUMNS` key; ordered by SKU.
    ``filters`` (MovementFilter): ``variant_id``, ``category``. SPEC §9.

    Only the ledger rows in the range are read (through the ``(tenant,
    created_at)`` index, starting at the date bound): the sums are grouped
    per variant with the row count as a window, so a page and its count are
    one query; the opening balances of a page's variants are the balance of
    each item's last row before the range (``(tenant, location, variant,
    created_at)`` index, one probe per item), one more query. See
    :class:`MovementReport`.
    """
    start, end = tenant.day_bounds(date_from, date_to)
    ledger = StockLedger.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end)
    if location_ids is not None:
        ledger = ledger.filter(location_id__in=location_ids)
    ledger = filter_queryset(MovementFilter, ledger, filters, tenant=tenant)
    sums = {
        name: Coalesce(
            Sum("qty_delta", filter=Q(ref_type__in=types)),
            Value(ZERO),
            output_field=QTY_SUM_FIELD,
        )
        for name, types in MOVEMENT_COLUMNS.items()
    }
    # Grouped by variant id alone (a hash aggregate of the range's rows); the names are
    # looked up per group, so only the groups are sorted, and only a page's names are read.
    variant = Variant.objects.filter(pk=OuterRef("variant_id"))
    rows = (
        ledger.values("variant_id")
        .annotate(
            moves=Count("pk"),
            net_change=Coalesce(Sum("qty_delta"), Value(ZERO), output_field=QTY_SUM_FIELD),
            **sums,
        )
        .annotate(
            variant__sku=Subquery(variant.values("sku")),
            variant__name=Subquery(variant.values("name")),
            variant__product__name=Subquery(variant.values("product__name")),
        )
        .order_by("variant__sku", "variant_id")
    )
    return MovementReport(tenant=tenant, start=start, rows=rows, location_ids=location_ids)


def opening_balances(*, tenant, start, variant_ids, location_ids=None) -> dict[int, Decimal]:
    """Σ over the items (location, variant) in scope of each item's balance at ``start``:
    the ``balance_after`` of its last ledger row before ``start`` (0 without one).
    ``variant_ids``: the variants wanted. One query, one index probe per item. SPEC §3.2."""
    if not variant_ids:
        return {}
    last_before = (
        StockLedger.objects.filter(
            tenant=tenant,
            location_id=OuterRef("location_id"),
            variant_id=OuterRef("variant_id"),
            created_at__lt=start,
        )
        .order_by("-created_at", "-id")
        .values("balance_after")[:1]
    )
    items = InventoryItem.objects.filter(tenant=tenant, variant_id__any_of=list(variant_ids))
    if location_ids is not None:
        items = items.filter(location_id__in=location_ids)
    totals = dict.fromkeys(variant_ids, ZERO)
    for variant_id, balance in items.annotate(balance=Subquery(last_before)).values_list(
        "variant_id", "balance"
    ):
        if balance is not None:
            totals[variant_id] += balance
    return totals


class MovementReport:
    """The rows of :func:`movement_report`, read lazily.

    ``report[a:b]`` reads that slice (one query; its window gives the total
    number of rows, so :meth:`count` after :meth:`expect` costs nothing more)
    and the opening balances of its variants (one query). Iterating reads
    every row in chunks (CSV export, constant memory). Works as a paginator's
    object list: call :meth:`expect` with the page's slice first.
    """

    chunk_size = 500

    def __init__(self, *, tenant, start, rows: QuerySet, location_ids=None) -> None:
        self.tenant = tenant
        self.start = start
        self.grouped = rows
        self.rows = rows.annotate(total=Window(Count("*")))
        self.location_ids = location_ids
        self._total: int | None = None
        self._expected: slice | None = None
        self._page: list[dict] | None = None

    def _finish(self, rows: list[dict]) -> list[dict]:
        openings = opening_balances(
            tenant=self.tenant,
            start=self.start,
            variant_ids=[row["variant_id"] for row in rows],
            location_ids=self.location_ids,
        )
        for row in rows:
            row["opening_balance"] = openings[row["variant_id"]]
            row.pop("total", None)
        return rows

    def expect(self, key: slice) -> None:
        """The slice the next :meth:`count` reads with it (one query for both)."""
        self._expected = key

    def _read(self, key: slice) -> list[dict]:
        rows = list(self.rows[key])
        if rows:
            self._total = rows[0]["total"]
        elif not key.start:
            self._total = 0
        return self._finish(rows)

    def count(self) -> int:
        if self._total is None and self._expected is not None:
            self._page = self._read(self._expected)
        if self._total is None:
            self._total = self.grouped.count()
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("MovementReport reads slices")
        expected = self._expected
        if self._page is not None and (key.start or 0) == (expected.start or 0):
            if key.stop is None or key.stop >= min(expected.stop, self._total):
                return self._page  # the page read with the count (the last one ends at the count)
        return self._read(key)

    def __iter__(self):
        chunk: list[dict] = []
        for row in self.rows.iterator(chunk_size=self.chunk_size):
            chunk.append(row)
            if len(chunk) == self.chunk_size:
                yield from self._finish(chunk)
                chunk = []
        yield from self._finish(chunk)


# --- valuation ------------------------------------------------------------------------------


def valuation_list(
    *, tenant, filters: dict | None = None, location_ids=None, include_zero: bool = False
) -> tuple[QuerySet[InventoryItem], dict]:
    """Stock value per (location, variant): on hand × moving-average cost (SPEC §9).

    ``filters`` (ValuationFilter): ``category``; items with no stock are left
    out unless ``include_zero``. Returns ``(items, totals)``:
    items (location and variant joined) ordered by location code, SKU; totals
    ``{total_qty, total_value, by_location: [{location_id, location_code,
    total_qty, total_value}]}`` (one aggregate query, per location; the totals are
    the exact sums of its rows).
    """
    items = InventoryItem.objects.filter(tenant=tenant, variant__track_inventory=True)
    if location_ids is not None:
        items = items.filter(location_id__in=location_ids)
    items = filter_queryset(ValuationFilter, items, filters, tenant=tenant)
    if not include_zero:
        items = items.exclude(on_hand=0)
    per_location = list(
        items.values("location_id", "location__code")
        .annotate(qty=Sum("on_hand"), value=Sum(stock_value_expression()))
        .order_by("location__code")
    )
    by_location = [
        {
            "location_id": row["location_id"],
            "location_code": row["location__code"],
            "total_qty": str(row["qty"]),
            "total_value": str(money(row["value"])),
        }
        for row in per_location
    ]
    # The totals are the exact (unrounded) sums of the per-location sums: no second pass.
    total_qty = sum((row["qty"] for row in per_location), ZERO)
    total_value = sum((row["value"] for row in per_location), ZERO)
    rows = items.select_related("location", "variant__product").order_by(
        "location__code", "variant__sku", "pk"
    )
    return rows, {
        "total_qty": total_qty or ZERO,
        "total_value": money(total_value),
        "by_location": by_location,
    }


# --- sales summary --------------------------------------------------------------------------

SALES_GROUPS = ("day", "location", "register")
SALES_AMOUNTS = (
    "gross_sales",
    "discounts",
    "tax",
    "sales_total",
    "voids_total",
    "refunds",
    "refund_tax",
)
SALES_COUNTS = ("sales_count", "voids_count", "returns_count")


def _empty() -> dict:
    return {**dict.fromkeys(SALES_AMOUNTS, MONEY_ZERO), **dict.fromkeys(SALES_COUNTS, 0)}


def _finish(row: dict) -> dict:
    for key in SALES_AMOUNTS:
        row[key] = (row[key] or MONEY_ZERO).quantize(MONEY_ZERO)
    row["net_sales"] = row["sales_total"] - row["refunds"]
    row["net_tax"] = row["tax"] - row["refund_tax"]
    row["net_sales_ex_tax"] = row["net_sales"] - row["net_tax"]
    return row


def sales_summary(
    *, tenant, group_by="day", date_from=None, date_to=None, location_ids=None, register_id=None
) -> tuple[list[dict], dict]:
    """``(rows, totals)`` of the sales summary by ``day``, ``location`` or ``register`` (SPEC §9).

    * ``sales_count``, ``gross_sales`` (Σ subtotal), ``discounts``, ``tax``,
      ``sales_total`` (Σ total) — COMPLETED sales, by the local day they were completed;
    * ``voids_count``, ``voids_total`` — VOIDED sales;
    * ``returns_count``, ``refunds`` (Σ refund_total), ``refund_tax`` — FINALIZED
      returns, by the day they were finalized;
    * ``net_sales`` = sales_total − refunds, ``net_tax`` = tax − refund_tax,
      ``net_sales_ex_tax`` = net_sales − net_tax.

    Sums of the persisted canonical amounts (``compute_receipt``), so the report
    agrees with receipts to the cent. Two aggregate queries (plus one for
    location/register codes). ``totals`` carries ``currency``.
    """
    start, end = tenant.day_bounds(date_from, date_to)
    zone = tenant.zone
    sales = Sale.objects.filter(tenant=tenant)
    returns = Return.objects.filter(tenant=tenant, status=Return.Status.FINALIZED)
    if start:
        sales = sales.filter(completed_at__gte=start)
        returns = returns.filter(finalized_at__gte=start)
    if end:
        sales, returns = sales.filter(completed_at__lt=end), returns.filter(finalized_at__lt=end)
    if location_ids is not None:
        sales = sales.filter(location_id__in=location_ids)
        returns = returns.filter(location_id__in=location_ids)
    if register_id:
        sales = sales.filter(register_session__register_id=register_id)
        returns = returns.filter(register_session__register_id=register_id)

    if group_by == "day":
        sale_key = {"key": TruncDate("completed_at", tzinfo=zone)}
        return_key = {"key": TruncDate("finalized_at", tzinfo=zone)}
    elif group_by == "location":
        sale_key = return_key = {"key": F("location_id")}
    else:
        sale_key = return_key = {"key": F("register_session__register_id")}

    completed = Q(status=Sale.Status.COMPLETED)
    voided = Q(status=Sale.Status.VOIDED)
    rows: dict = {}
    sale_fields = (
        "sales_count",
        "gross_sales",
        "discounts",
        "tax",
        "sales_total",
        "voids_count",
        "voids_total",
    )
    for agg in (
        sales.annotate(**sale_key)
        .values("key")
        .annotate(
            sales_count=Count("id", filter=completed),
            gross_sales=Sum("subtotal", filter=completed),
            discounts=Sum("discount_total", filter=completed),
            tax=Sum("tax_total", filter=completed),
            sales_total=Sum("total", filter=completed),
            voids_count=Count("id", filter=voided),
            voids_total=Sum("total", filter=voided),
        )
        .order_by()
    ):
        row = rows.setdefault(agg["key"], _empty())
        for field in sale_fields:
            row[field] = agg[field] or row[field]
    for agg in (
        returns.annotate(**return_key)
        .values("key")
        .annotate(
            returns_count=Count("id"),
            refunds=Sum("refund_total"),
            refund_tax=Sum("refund_tax"),
        )
        .order_by()
    ):
        row = rows.setdefault(agg["key"], _empty())
        row["returns_count"] = agg["returns_count"]
        row["refunds"] = agg["refunds"] or MONEY_ZERO
        row["refund_tax"] = agg["refund_tax"] or MONEY_ZERO

    out = []
    if group_by == "day":
        for key in sorted(rows):
            out.append(_finish({"date": key, **rows[key]}))
    elif group_by == "location":
        codes = dict(
            Location.objects.filter(tenant=tenant, pk__in=list(rows)).values_list("pk", "code")
        )
        for key in sorted(rows, key=lambda k: (codes.get(k, ""), k)):
            out.append(_finish({"location_id": key, "location_code": codes.get(key), **rows[key]}))
    else:
        registers = {
            r["pk"]: r
            for r in Register.objects.filter(tenant=tenant, pk__in=[k for k in rows if k]).values(
                "pk", "code", "location_id", "location__code"
            )
        }
        for key in sorted(rows, key=lambda k: (k is None, k or 0)):
            info = registers.get(key, {})
            out.append(
                _finish(
                    {
                        "register_id": key,
                        "register_code": info.get("code"),
                        "location_id": info.get("location_id"),
                        "location_code": info.get("location__code"),
                        **rows[key],
                    }
                )
            )
    totals = _empty()
    for row in out:
        for key in (*SALES_AMOUNTS, *SALES_COUNTS):
            totals[key] += row[key]
    totals = _finish(totals)
    totals["currency"] = tenant.currency
    return out, totals


# --- the owner's dashboard -----------------------------------------------------------------


def top_product_list(
    *, tenant, date_from=None, date_to=None, location_ids=None, limit: int = 10
) -> list[dict]:
    """Best-selling variants of COMPLETED sales in the tenant-local date range (SPEC §9, §11).

    ``[{variant_id, variant__sku, variant__product__name, qty, revenue}]`` by
    revenue (Σ line_total, tax and fees included as the customer paid), then
    variant id; ``location_ids``: the stores to count (None = all). Two queries:
    the lines are summed per variant alone (an index-only scan of each sale's lines,
    ``saleline_sale_cover_idx``), then the names of the top ``limit`` are read.
    """
    start, end = tenant.day_bounds(date_from, date_to)
    lines = SaleLine.objects.filter(tenant=tenant, sale__status=Sale.Status.COMPLETED)
    if start:
        lines = lines.filter(sale__completed_at__gte=start)
    if end:
        lines = lines.filter(sale__completed_at__lt=end)
    if location_ids is not None:
        lines = lines.filter(sale__location_id__in=location_ids)
    top = list(
        lines.values("variant_id")
        .annotate(qty=Sum("qty"), revenue=Sum("line_total"))
        .order_by("-revenue", "variant_id")[:limit]
    )
    names = {
        row["pk"]: row
        for row in Variant.objects.filter(
            tenant=tenant, pk__in=[r["variant_id"] for r in top]
        ).values("pk", "sku", "product__name")
    }
    for row in top:
        name = names.get(row["variant_id"], {})
        row["variant__sku"] = name.get("sku")
        row["variant__product__name"] = name.get("product__name")
    return top
