"""Reads of stock (STYLE: selectors return tenant-filtered, annotated querysets)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value

from storekeep.catalog.models import Variant
from storekeep.core.errors import NotFound
from storekeep.core.filters import filter_queryset
from storekeep.core.selectors import get_object

from .filters import (
    CountFilter,
    LedgerFilter,
    LowStockAlertFilter,
    ReservationFilter,
    StockLevelFilter,
    StockSummaryFilter,
    TransferFilter,
)
from .models import (
    CountSession,
    CountSessionLine,
    InventoryItem,
    InventoryTransfer,
    InventoryTransferLine,
    LowStockAlert,
    Reservation,
    StockLedger,
)
from .rules import (
    ZERO,
    available_expression,
    is_low_stock_expression,
    stock_value,
    threshold_expression,
)

ACTIVE_COUNT_STATUSES = (CountSession.Status.DRAFT, CountSession.Status.IN_PROGRESS)


def _scoped(queryset: QuerySet, location_ids, field: str = "location_id") -> QuerySet:
    """Rows at ``location_ids`` (a member's locations; None = every location)."""
    if location_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": list(location_ids)})


# --- stock levels and the ledger ---------------------------------------------------------


def stock_level_list(
    *, tenant, filters: dict | None = None, location_ids=None
) -> QuerySet[InventoryItem]:
    """Items of the tenant with ``available_qty``, ``threshold`` and ``is_low_stock`` annotated.

    ``filters`` (StockLevelFilter): ``location_id``, ``variant_id``,
    ``variant_ids`` (list), ``category`` (id), ``search`` (SKU, barcode or
    product name), ``low_stock`` (bool), ``ordering`` (a ``filters.STOCK_ORDERING``
    name, ``-`` for descending; unknown → 400 ``validation_error``).
    ``location_ids`` (or ``filters["location_ids"]``) restricts to a member's
    locations. Threshold per SPEC §4 (``rules.threshold_expression``). Ordered
    by location, SKU unless ``ordering`` says otherwise (then by id on ties).
    """
    filters = dict(filters or {})
    if location_ids is None:
        location_ids = filters.pop("location_ids", None)
    queryset = (
        InventoryItem.objects.filter(tenant=tenant, variant__track_inventory=True)
        .select_related("variant__product", "location")
        .annotate(available_qty=available_expression(), threshold=threshold_expression(tenant))
        .annotate(is_low_stock=is_low_stock_expression())
    )
    queryset = _scoped(queryset, location_ids).order_by("location_id", "variant__sku", "pk")
    return filter_queryset(StockLevelFilter, queryset, filters, tenant=tenant)


def ledger_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet[StockLedger]:
    """The tenant's ledger rows (``variant`` and ``location`` joined), unordered.

    ``filters`` (LedgerFilter, SPEC §9): ``location_id``, ``variant_id``,
    ``ref_type``, ``ref_id``, ``date_from``/``date_to`` (ISO date: local
    midnight, ``date_to`` inclusive; or an exact date-time), ``search`` (SKU,
    note or ref id). Raises ValidationFailed (400) for a bad date.
    """
    queryset = StockLedger.objects.filter(tenant=tenant).select_related("variant", "location")
    queryset = _scoped(queryset, location_ids)
    return filter_queryset(LedgerFilter, queryset, filters, tenant=tenant)


def ledger_get(*, tenant, ledger_id) -> StockLedger:
    """One ledger row of the tenant (variant and location joined); 404 ``not_found`` for an
    unknown, malformed or another tenant's id (SPEC §3.6, issue 15 item 4)."""
    return get_object(
        StockLedger.objects.filter(tenant=tenant).select_related("variant", "location"), ledger_id
    )


def ledger_rows_written(*, tenant, rows: list[StockLedger]) -> list[StockLedger]:
    """The ledger rows an engine call returned, reloaded with variant and location in one
    query (ordered by id), each keeping its ``line_index``; on a database that does not
    return ids from bulk inserts, ``rows`` as they are."""
    if not all(row.pk for row in rows):
        return rows
    index_by_pk = {row.pk: row.line_index for row in rows}
    ledger = list(
        StockLedger.objects.filter(tenant=tenant, pk__in=index_by_pk)
        .select_related("variant", "location")
        .order_by("pk")
    )
    for row in ledger:
        row.line_index = index_by_pk[row.pk]
    return ledger


# --- reservations -------------------------------------------------------------------------


def reservation_list(
    *, tenant, filters: dict | None = None, location_ids=None
) -> QuerySet[Reservation]:
    """The tenant's reservations (variant and location joined), newest first.

    ``filters`` (ReservationFilter, issue 15): ``status``, ``order_ref`` (exact),
    ``location_id``, ``variant_id``, ``expires_before`` / ``expires_after`` (ISO date-time,
    or a date = local midnight). ``location_ids``: a member's locations (None = all).
    """
    queryset = Reservation.objects.filter(tenant=tenant).select_related("variant", "location")
    queryset = _scoped(queryset, location_ids).order_by("-created_at", "-pk")
    return filter_queryset(ReservationFilter, queryset, filters, tenant=tenant)


def reservation_get(*, tenant, reservation_id) -> Reservation:
    """One reservation of the tenant; 404 ``not_found`` for an unknown or another tenant's id."""
    return get_object(
        Reservation.objects.filter(tenant=tenant).select_related("variant", "location"),
        reservation_id,
    )


def reservation_confirm_rows(*, tenant, reservation: Reservation) -> list[StockLedger]:
    """The RESERVATION_CONFIRM ledger rows of a confirmed reservation (none otherwise)."""
    return list(
        StockLedger.objects.filter(
            tenant=tenant, ref_type="RESERVATION_CONFIRM", ref_id=str(reservation.pk)
        )
        .select_related("variant", "location")
        .order_by("pk")
    )


# --- transfers ----------------------------------------------------------------------------


def _transfers(tenant) -> QuerySet[InventoryTransfer]:
    lines = InventoryTransferLine.objects.select_related("variant").order_by("pk")
    return (
        InventoryTransfer.objects.filter(tenant=tenant)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-pk")
    )


def transfer_list(
    *, tenant, filters: dict | None = None, location_ids=None
) -> QuerySet[InventoryTransfer]:
    """Transfers with their lines (and variants) prefetched, newest first (SPEC §6).

    ``filters`` (TransferFilter): ``status``, ``location_id`` (source or
    destination), ``from_location_id``, ``to_location_id``. ``location_ids``:
    only transfers touching one of these locations.
    """
    queryset = _transfers(tenant)
    if location_ids is not None:
        ids = list(location_ids)
        queryset = queryset.filter(Q(from_location_id__in=ids) | Q(to_location_id__in=ids))
    return filter_queryset(TransferFilter, queryset, filters, tenant=tenant)


def transfer_get(*, tenant, transfer_id) -> InventoryTransfer:
    """One transfer with its lines; 404 ``not_found`` for another tenant's id."""
    return get_object(_transfers(tenant), transfer_id)


# --- cycle counts -------------------------------------------------------------------------


def _counts(tenant) -> QuerySet[CountSession]:
    lines = CountSessionLine.objects.select_related("variant").order_by("pk")
    return (
        CountSession.objects.filter(tenant=tenant)
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-pk")
    )


def count_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet[CountSession]:
    """Counts with their lines prefetched, newest first; ``filters`` (CountFilter):
    ``status``, ``scope``, ``location_id``. SPEC §6."""
    queryset = _scoped(_counts(tenant), location_ids)
    return filter_queryset(CountFilter, queryset, filters, tenant=tenant)


def count_get(*, tenant, count_id) -> CountSession:
    """One count with its lines; 404 ``not_found`` for another tenant's id."""
    return get_object(_counts(tenant), count_id)


def count_line_get(*, tenant, line_id) -> CountSessionLine:
    """One count line with its variant; 404 ``not_found`` for another tenant's id."""
    return get_object(
        CountSessionLine.objects.filter(tenant=tenant).select_related("variant"), line_id
    )


def count_variance(*, tenant, count_id: int) -> dict:
    """Preview a count: per line expected vs counted, variance and its value.

    Returns ``{"count_id", "status", "location_id", "lines": [{variant_id, sku,
    name, expected_qty, counted_qty, variance, on_hand_now, unit_cost,
    variance_value}], "totals": {lines, units_over, units_short, net_units,
    net_value}, "uncounted_items"}`` — value = variance × the item's moving
    average cost, rounded to 0.01; ``uncounted_items`` (FULL_STORE only) is
    how many items with stock at the location were not scanned (they are left
    unchanged by finalize). Three queries whatever the number of lines. Raises
    NotFound (404). SPEC §6.
    """
    count = CountSession.objects.filter(tenant=tenant, pk=count_id).first()
    if count is None:
        raise NotFound("Count not found.", details={"count_id": count_id})
    lines = list(
        CountSessionLine.objects.filter(tenant=tenant, session=count)
        .select_related("variant__product")
        .order_by("variant__sku", "pk")
    )
    items = {
        i.variant_id: i
        for i in InventoryItem.objects.filter(
            tenant=tenant,
            location_id=count.location_id,
            variant_id__in=[line.variant_id for line in lines],
        ).only("variant_id", "on_hand", "avg_unit_cost")
    }
    rows, over, short, net_value = [], ZERO, ZERO, ZERO
    for line in lines:
        item = items.get(line.variant_id)
        cost = item.avg_unit_cost if item else line.variant.cost
        variance = line.counted_qty - line.expected_qty
        value = stock_value(variance, cost)
        over += max(variance, ZERO)
        short += max(-variance, ZERO)
        net_value += value
        rows.append(
            {
                "variant_id": line.variant_id,
                "sku": line.variant.sku,
                "name": line.variant.display_name,
                "expected_qty": line.expected_qty,
                "counted_qty": line.counted_qty,
                "variance": variance,
                "on_hand_now": item.on_hand if item else ZERO,
                "unit_cost": cost,
                "variance_value": value,
            }
        )
    uncounted = 0
    if count.scope == CountSession.Scope.FULL_STORE and count.status in ACTIVE_COUNT_STATUSES:
        uncounted = (
            InventoryItem.objects.filter(
                tenant=tenant, location_id=count.location_id, variant__track_inventory=True
            )
            .exclude(on_hand=0)
            .exclude(variant_id__in=[line.variant_id for line in lines])
            .count()
        )
    return {
        "count_id": count.pk,
        "status": count.status,
        "location_id": count.location_id,
        "lines": rows,
        "totals": {
            "lines": len(rows),
            "units_over": over,
            "units_short": short,
            "net_units": over - short,
            "net_value": net_value,
        },
        "uncounted_items": uncounted,
    }


# --- low stock ----------------------------------------------------------------------------


def low_stock_alert_list(
    *, tenant, filters: dict | None = None, location_ids=None
) -> QuerySet[LowStockAlert]:
    """Low-stock alerts (location and variant joined), newest first (SPEC §4).

    ``filters`` (LowStockAlertFilter): ``location_id``, ``variant_id``,
    ``date_from``/``date_to`` (inclusive tenant-local dates of ``created_at``),
    ``acknowledged`` (bool).
    """
    queryset = (
        LowStockAlert.objects.filter(tenant=tenant)
        .select_related("location", "variant")
        .order_by("-created_at", "-pk")
    )
    queryset = _scoped(queryset, location_ids)
    return filter_queryset(LowStockAlertFilter, queryset, filters, tenant=tenant)


# --- stock summary per variant (SPEC §9) ---------------------------------------------------


def stock_summary_list(*, tenant, filters: dict | None = None, location_ids=None) -> QuerySet:
    """Tracked variants with stock rows (at ``location_ids``: a member's or the asked-for ones),
    ordered by SKU; render a page with :func:`stock_summary_rows`.

    ``filters`` (StockSummaryFilter): ``category``, ``search``, ``low_stock``
    (true: low at some location in scope; false: at none).
    """
    # A semi-join (no GROUP BY over every item): the page walks the (tenant, sku) index.
    items = InventoryItem.objects.filter(tenant=tenant, variant_id=OuterRef("pk"))
    items = _scoped(items, location_ids)
    variants = (
        Variant.objects.filter(tenant=tenant, track_inventory=True)
        .select_related("product")
        .filter(Exists(items))
    )
    variants = filter_queryset(
        StockSummaryFilter,
        variants,
        filters,
        tenant=tenant,
        low_ids=lambda: (
            stock_level_list(tenant=tenant, location_ids=location_ids)
            .filter(is_low_stock=True)
            .values("variant_id")
        ),
    )
    return variants.order_by("sku", "pk")


def stock_summary_rows(*, tenant, variants, location_ids=None) -> list[dict]:
    """Rows of a page of :func:`stock_summary_list`: per variant the totals of on hand,
    reserved, available and value (on hand × average cost) and ``is_low_stock`` (low at
    one location or more), with a ``locations`` breakdown. One query for the page."""
    by_variant: dict[int, list] = {}
    items = (
        stock_level_list(tenant=tenant, location_ids=location_ids)
        .filter(variant_id__in=[v.pk for v in variants])
        .values_list(
            "variant_id",
            "location_id",
            "location__code",
            "on_hand",
            "reserved",
            "available_qty",
            "threshold",
            "is_low_stock",
            "avg_unit_cost",
        )
    )
    for variant_id, location_id, code, on_hand, reserved, available, threshold, low, cost in items:
        by_variant.setdefault(variant_id, []).append(
            {
                "location_id": location_id,
                "location_code": code,
                "on_hand": on_hand,
                "reserved": reserved,
                "available": available,
                "threshold": threshold,
                "is_low_stock": low,
                "avg_unit_cost": cost,
                "value": stock_value(on_hand, cost),
            }
        )
    rows = []
    for variant in variants:
        locations = by_variant.get(variant.pk, [])
        rows.append(
            {
                "variant_id": variant.pk,
                "sku": variant.sku,
                "name": variant.display_name,
                "on_hand": sum((loc["on_hand"] for loc in locations), ZERO),
                "reserved": sum((loc["reserved"] for loc in locations), ZERO),
                "available": sum((loc["available"] for loc in locations), ZERO),
                "value": sum((loc["value"] for loc in locations), ZERO),
                "is_low_stock": any(loc["is_low_stock"] for loc in locations),
                "locations": locations,
            }
        )
    return rows


def ledger_parity_mismatches(*, tenant=None, by_ref_type: bool = False) -> tuple[list[dict], dict]:
    """Items whose on hand differs from Σ ledger qty_delta (SPEC §3.2).

    One aggregate query over the ledger and one over the items. Returns
    (mismatches, totals_by_ref_type) — the second is empty unless ``by_ref_type``.
    """
    ledger = StockLedger.objects.all()
    items = InventoryItem.objects.all()
    if tenant is not None:
        ledger, items = ledger.filter(tenant=tenant), items.filter(tenant=tenant)
    sums = {
        (r["tenant_id"], r["location_id"], r["variant_id"]): r["total"]
        for r in ledger.values("tenant_id", "location_id", "variant_id").annotate(
            total=Sum("qty_delta")
        )
    }
    mismatches = []
    for item in items.values("tenant_id", "location_id", "variant_id", "on_hand").iterator(
        chunk_size=5000
    ):
        key = (item["tenant_id"], item["location_id"], item["variant_id"])
        ledger_total = sums.pop(key, None) or Decimal("0")
        if ledger_total != item["on_hand"]:
            mismatches.append(
                {
                    "tenant_id": key[0],
                    "location_id": key[1],
                    "variant_id": key[2],
                    "on_hand": item["on_hand"],
                    "ledger_total": ledger_total,
                }
            )
    for key, total in sums.items():  # ledger rows without an item
        mismatches.append(
            {
                "tenant_id": key[0],
                "location_id": key[1],
                "variant_id": key[2],
                "on_hand": None,
                "ledger_total": total,
            }
        )
    by_type = {}
    if by_ref_type:
        by_type = {
            r["ref_type"]: {"rows": r["rows"], "qty": r["qty"]}
            for r in ledger.values("ref_type")
            .annotate(rows=Sum(Value(1)), qty=Sum("qty_delta"))
            .order_by("ref_type")
        }
    return mismatches, by_type


def running_balance_breaks(*, tenant=None, limit: int = 100) -> list[dict]:
    """Ledger rows whose ``balance_after`` is not the running Σ qty_delta of their item (SPEC §3.2)."""
    ledger = StockLedger.objects.all()
    if tenant is not None:
        ledger = ledger.filter(tenant=tenant)
    balances: dict[tuple, Decimal] = {}
    breaks = []
    rows = ledger.order_by("tenant_id", "location_id", "variant_id", "pk").values_list(
        "pk", "tenant_id", "location_id", "variant_id", "qty_delta", "balance_after"
    )
    for pk, tenant_id, location_id, variant_id, delta, balance in rows.iterator(chunk_size=10000):
        key = (tenant_id, location_id, variant_id)
        running = balances.get(key, Decimal("0")) + delta
        balances[key] = running
        if running != balance:
            breaks.append(
                {
                    "ledger_id": pk,
                    "tenant_id": tenant_id,
                    "location_id": location_id,
                    "variant_id": variant_id,
                    "expected": running,
                    "balance_after": balance,
                }
            )
            balances[key] = balance
            if len(breaks) >= limit:
                break
    return breaks
