"""The one write path for ``on_hand`` and ``reserved`` (SPEC §3.1, §4).

:func:`apply_moves` is the primitive every stock service calls: it validates
the moves, locks every stock row of the operation in one ordered query,
plans the change (FEFO lots, moving-average cost, never-negative checks),
then writes items, lots and ledger rows with a constant number of queries,
whatever the number of lines.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from storekeep.catalog.models import Variant
from storekeep.catalog.units import require_whole_units
from storekeep.core.bulk import RowFactory, insert_rows, update_rows
from storekeep.core.db import any_of, column_list, fetch_rows, for_update, lock_rows
from storekeep.core.errors import InsufficientStock, NotFound, ValidationFailed, VersionConflict
from storekeep.core.numbers import COST_STEP, MAX_COST, MAX_QTY
from storekeep.locations.models import Location
from storekeep.tenants.models import Tenant

from .. import events
from ..alerts import alerts_are_quiet, announce_on_commit
from ..models import InventoryItem, LedgerRefType, Lot, LowStockAlert, Reservation, StockLedger
from ..models.stock import ENGINE_WRITE
from ..rules import resolve_threshold

_new_ledger_row = RowFactory(StockLedger)

ZERO = Decimal("0")
# Corrections may also take stock out of expired lots (expired first); sales,
# transfers and reservations never do (SPEC §7).
CORRECTIVE_REF_TYPES = frozenset(
    {
        LedgerRefType.ADJUSTMENT,
        LedgerRefType.COUNT_RECONCILE,
        LedgerRefType.WASTE,
        LedgerRefType.EXPIRY,
    }
)


@dataclass
class StockMove:
    """One change at one (location, variant), in the variant's stock unit.

    ``qty`` is the signed on-hand delta, ``reserved`` the signed reserved delta.
    ``target_on_hand`` (absolute set) replaces ``qty`` by ``target - on_hand``
    computed under the lock, checked against ``expected_version`` when given.
    Incoming moves may carry ``unit_cost`` (updates the moving average when
    ``update_cost``) and a lot (``lot_code``, ``expiry_date``); outgoing moves
    of lot-tracked variants take FEFO lots unless ``lot_id`` names one.
    ``line_index`` and ``document_index`` are copied to the ledger rows this move
    writes so a caller can map rows back to its own lines (and documents, in a
    batch). ``ref_id`` and ``occurred_at`` override the operation's for this
    move's rows (a batch of sales writes each sale's rows under its own id and time).
    """

    location_id: int
    variant_id: int
    qty: Decimal = ZERO
    reserved: Decimal = ZERO
    target_on_hand: Decimal | None = None
    expected_version: int | None = None
    unit_cost: Decimal | None = None
    update_cost: bool = False
    lot_code: str | None = None
    expiry_date: date | None = None
    lot_id: int | None = None
    reason: str = ""
    note: str = ""
    ref_type: str | None = None
    line_index: int | None = None
    document_index: int | None = None
    ref_id: str | None = None
    occurred_at: datetime | None = None
    check_available: bool = True
    skip_lots: bool = False  # on-hand-only correction (reconcile_lots --fix)


@dataclass
class _ItemState:
    item: InventoryItem
    on_hand: Decimal
    reserved: Decimal
    avg_cost: Decimal
    touched: bool = False
    lots: list = field(default_factory=list)
    last_at: datetime | None = None


def _load_variants(tenant, variant_ids) -> dict[int, Variant]:
    variants = {
        v.pk: v
        for v in Variant.objects.filter(tenant=tenant, pk__any_of=variant_ids).only(
            "id", "sku", "unit", "track_inventory", "track_lots", "reorder_point", "cost"
        )
    }
    missing = sorted(set(variant_ids) - variants.keys())
    if missing:
        raise NotFound("Variant not found.", details={"variant_ids": missing})
    return variants


def _check_locations(tenant, location_ids) -> None:
    found = set(
        Location.objects.filter(tenant=tenant, pk__in=location_ids).values_list("pk", flat=True)
    )
    missing = sorted(set(location_ids) - found)
    if missing:
        raise NotFound("Location not found.", details={"location_ids": missing})


def lock_items(tenant, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], InventoryItem]:
    """Lock (creating when missing) the items of ``pairs`` = {(location_id, variant_id)}.

    One ordered ``SELECT … FOR UPDATE``; when some item does not exist yet,
    one ``INSERT … ON CONFLICT DO NOTHING`` and a second locking select.
    """
    items = _lock_existing(tenant, pairs)
    if pairs - items.keys():
        items = _create_and_lock(tenant, pairs, items)
    return items


def _items_queryset(tenant, pairs):
    return InventoryItem.objects.filter(
        tenant=tenant,
        location_id__any_of={loc for loc, _ in pairs},
        variant_id__any_of={var for _, var in pairs},
    )


#: The item columns an operation reads (the others it only writes, or never touches):
#: apply_moves loads just these, which halves the cost of locking hundreds of items.
_ENGINE_ITEM_FIELDS = (
    "id",
    "tenant_id",
    "location_id",
    "variant_id",
    "on_hand",
    "reserved",
    "reorder_point",
    "avg_unit_cost",
    "version",
    "low_stock_alerted",
    "allow_negative",
)


def _lock_existing(
    tenant, pairs, *, engine_columns: bool = False
) -> dict[tuple[int, int], InventoryItem]:
    """Lock the existing items of ``pairs``; ``engine_columns`` loads only
    ``_ENGINE_ITEM_FIELDS`` (the rest deferred), which is all :func:`apply_moves` reads."""
    if engine_columns:
        db = connection.alias
        items = [_loaded_item(row, db) for row in _lock_engine_rows(tenant.pk, pairs)]
    else:
        items = lock_rows(_items_queryset(tenant, pairs))
    return {(i.location_id, i.variant_id): i for i in items}


_ENGINE_ITEM_COLUMNS = tuple((InventoryItem, name) for name in _ENGINE_ITEM_FIELDS)


def _lock_engine_rows(tenant_id: int, pairs) -> list[tuple]:
    """``_ENGINE_ITEM_FIELDS`` of the existing items of ``pairs``, locked in id order: the
    statement ``lock_rows(_items_queryset(…).values_list(…))`` compiles, written by hand
    because every stock operation runs it (issue 11: compiling it cost more than running it)."""
    locations, location_params = any_of(InventoryItem, "location_id", {loc for loc, _ in pairs})
    variants, variant_params = any_of(InventoryItem, "variant_id", {var for _, var in pairs})
    sql = (
        f"SELECT {column_list(InventoryItem, _ENGINE_ITEM_FIELDS)} "
        f"FROM {connection.ops.quote_name(InventoryItem._meta.db_table)} "
        f"WHERE tenant_id = %s AND {locations} AND {variants} ORDER BY id{for_update()}"
    )
    return fetch_rows(sql, [tenant_id, *location_params, *variant_params], _ENGINE_ITEM_COLUMNS)


def _loaded_item(row: tuple, db: str) -> InventoryItem:
    """The item ``queryset.only(*_ENGINE_ITEM_FIELDS)`` would load from ``row``, without
    ``Model.__init__`` (the other fields are deferred: reading one loads it)."""
    item = InventoryItem.__new__(InventoryItem)
    item._state = ModelState()
    item._state.adding, item._state.db = False, db
    data = item.__dict__
    data.update(zip(_ENGINE_ITEM_FIELDS, row, strict=True))
    item._loaded_qty = (data["on_hand"], data["reserved"])
    return item


def _create_and_lock(
    tenant, pairs, items, *, engine_columns: bool = False
) -> dict[tuple[int, int], InventoryItem]:
    InventoryItem.objects.bulk_create(
        [
            InventoryItem(
                tenant=tenant,
                location_id=loc,
                variant_id=var,
                allow_negative=tenant.allow_negative_stock,
            )
            for loc, var in sorted(pairs - items.keys())
        ],
        ignore_conflicts=True,
    )
    return _lock_existing(tenant, pairs, engine_columns=engine_columns)


def _expire_overdue_reservations(tenant, keys, now) -> dict[tuple[int, int], Decimal]:
    """Expire PENDING reservations past their expiry on these items; returns qty freed per item."""
    if not keys:
        return {}
    location_ids = {k[0] for k in keys}
    variant_ids = {k[1] for k in keys}
    # SKIP LOCKED: a reservation being released or confirmed right now is locked before its item
    # (parent first); waiting for it here, while holding the item, would deadlock.
    overdue = lock_rows(
        Reservation.objects.filter(
            tenant=tenant,
            status=Reservation.Status.PENDING,
            expires_at__lte=now,
            location_id__in=location_ids,
            variant_id__in=variant_ids,
        ),
        skip_locked=True,
    )
    freed: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    expired_ids = []
    for reservation in overdue:
        key = (reservation.location_id, reservation.variant_id)
        if key in keys:
            freed[key] += reservation.qty
            expired_ids.append(reservation.pk)
    if expired_ids:
        Reservation.objects.filter(pk__in=expired_ids).update(
            status=Reservation.Status.EXPIRED, released_at=now
        )
        expired = [r for r in overdue if r.pk in set(expired_ids)]
        for reservation in expired:
            reservation.status = Reservation.Status.EXPIRED
        events.reservations_expired(tenant, expired)
    return dict(freed)


@dataclass(frozen=True, slots=True)
class _Operation:
    """One :func:`apply_moves` call, once its variants are known and its untracked moves dropped."""

    tenant: Tenant
    variants: dict[int, Variant]
    moves: list[StockMove]
    ref_type: str
    ref_id: str
    actor: object
    when: datetime


class _Plan:
    """The computed outcome of an operation, before anything is written.

    Built from the locked items and lots, move by move (``_apply``): the
    items' new quantities and average cost, lot quantities, new lots, the
    ledger rows, and the short lines (``short``) when stock does not suffice.
    """

    def __init__(self, op: _Operation, items, lots_by_item):
        self.tenant = op.tenant
        self.variants = op.variants
        self.when = op.when
        self.today = timezone.localdate(op.when) if timezone.is_aware(op.when) else op.when.date()
        self.states = {
            key: _ItemState(item, item.on_hand, item.reserved, item.avg_unit_cost)
            for key, item in items.items()
        }
        self.lot_qty = {lot.pk: lot.qty for lots in lots_by_item.values() for lot in lots}
        self.lots_by_item = lots_by_item
        self.new_lots: dict[tuple[int, int, str], Lot] = {}
        self.rows: list[StockLedger] = []
        self.short: list[dict] = []
        self.ref_type = op.ref_type
        self.ref_id = op.ref_id
        self.actor = op.actor
        for move in op.moves:
            self._apply(move)

    def _row(self, move, state, qty, unit_cost, lot=None):
        at = move.occurred_at or self.when
        row = _new_ledger_row(
            tenant=self.tenant,
            location_id=move.location_id,
            variant_id=move.variant_id,
            lot=lot,
            ref_type=move.ref_type or self.ref_type,
            ref_id=self.ref_id if move.ref_id is None else move.ref_id,
            qty_delta=qty,
            balance_after=state.on_hand,
            unit_cost=unit_cost,
            reason=move.reason,
            note=move.note[:255],
            actor=self.actor,
            created_at=at,
        )
        row.line_index = move.line_index
        row.document_index = move.document_index
        if state.last_at is None or at > state.last_at:
            state.last_at = at
        self.rows.append(row)

    def _shortage(self, move, state, requested, sellable):
        entry = {"document_index": move.document_index} if move.document_index is not None else {}
        self.short.append(
            {
                **entry,
                "location_id": move.location_id,
                "variant_id": move.variant_id,
                "sku": self.variants[move.variant_id].sku,
                "line_index": move.line_index,
                "requested": str(requested),
                "on_hand": str(state.on_hand),
                "available": str(sellable - state.reserved),
            }
        )

    def _is_fresh(self, lot) -> bool:
        return lot.expiry_date is None or lot.expiry_date >= self.today

    def _sellable(self, move, state, variant) -> Decimal:
        """On hand that sales and reservations may use: for lot-tracked variants, expired lots
        do not count (SPEC §7), so a reservation is never left to be filled from them."""
        ref_type = move.ref_type or self.ref_type
        if not variant.track_lots or move.skip_lots or ref_type in CORRECTIVE_REF_TYPES:
            return state.on_hand
        key = (move.location_id, move.variant_id)
        fresh = sum(
            (self.lot_qty[lot.pk] for lot in self.lots_by_item.get(key, []) if self._is_fresh(lot)),
            ZERO,
        )
        fresh += sum(
            (
                lot.qty
                for (loc, var, _), lot in self.new_lots.items()
                if (loc, var) == key and self._is_fresh(lot)
            ),
            ZERO,
        )
        return min(state.on_hand, fresh)

    def _apply(self, move: StockMove) -> None:
        key = (move.location_id, move.variant_id)
        state = self.states[key]
        variant = self.variants[move.variant_id]
        allow_negative = self.tenant.allow_negative_stock
        if move.expected_version is not None and move.expected_version != state.item.version:
            raise VersionConflict(
                details={
                    "location_id": move.location_id,
                    "variant_id": move.variant_id,
                    "expected_version": move.expected_version,
                    "current_version": state.item.version,
                }
            )
        qty = move.qty
        if move.target_on_hand is not None:
            qty = move.target_on_hand - state.on_hand
        state.touched = True
        sellable = self._sellable(move, state, variant)

        if move.reserved:
            new_reserved = state.reserved + move.reserved
            if new_reserved < 0:
                raise ValidationFailed(
                    "Cannot release more than is reserved.",
                    details={"variant_id": move.variant_id, "reserved": str(state.reserved)},
                )
            if move.reserved > 0 and sellable + qty - new_reserved < 0:
                self._shortage(move, state, move.reserved, sellable)
                return
            state.reserved = new_reserved

        if qty > 0:
            self._incoming(move, state, variant, qty)
        elif qty < 0:
            available_before = sellable - state.reserved
            if not allow_negative and (
                state.on_hand + qty < 0
                or (move.check_available and available_before + qty < 0 and move.reserved == 0)
            ):
                self._shortage(move, state, -qty, sellable)
                return
            self._outgoing(move, state, variant, qty)
        elif move.target_on_hand is not None and not move.reserved:
            state.touched = True  # absolute set to the same value: version still moves

    @staticmethod
    def _current_cost(state, variant) -> Decimal:
        """The moving average, or the variant's cost while no average was ever established."""
        if state.avg_cost == 0 and state.on_hand <= 0:
            return variant.cost
        return state.avg_cost

    def _incoming(self, move, state, variant, qty):
        if state.on_hand + qty > MAX_QTY:
            raise ValidationFailed(
                "On hand would exceed the largest storable quantity.",
                details={
                    "variant_id": move.variant_id,
                    "line_index": move.line_index,
                    "on_hand": str(state.on_hand),
                    "qty": str(qty),
                },
            )
        if move.unit_cost is not None:
            cost = move.unit_cost
        elif move.update_cost:  # a receipt without a cost is at the variant's cost (receive_stock)
            cost = variant.cost
        else:
            cost = self._current_cost(state, variant)
        if move.update_cost:
            base = max(state.on_hand, ZERO)
            total = base + qty
            state.avg_cost = min(
                ((base * state.avg_cost + qty * cost) / total).quantize(COST_STEP), MAX_COST
            )
        state.on_hand += qty
        lot = None
        if variant.track_lots and not move.skip_lots:
            lot = self._lot_for(move, cost)
            if lot.pk is None:
                lot.qty += qty
            else:
                self.lot_qty[lot.pk] += qty
        self._row(move, state, qty, cost, lot)

    def _lot_for(self, move, cost) -> Lot:
        code = move.lot_code or f"{move.ref_type or self.ref_type}-{self.today.isoformat()}"
        for lot in self.lots_by_item.get((move.location_id, move.variant_id), []):
            if lot.lot_code == code:
                return lot
        key = (move.location_id, move.variant_id, code)
        if key not in self.new_lots:
            self.new_lots[key] = Lot(
                tenant=self.tenant,
                location_id=move.location_id,
                variant_id=move.variant_id,
                lot_code=code,
                expiry_date=move.expiry_date,
                received_at=move.occurred_at or self.when,
                qty=ZERO,
                unit_cost=cost,
            )
        return self.new_lots[key]

    def _outgoing(self, move, state, variant, qty):
        if state.on_hand + qty < -MAX_QTY:
            raise ValidationFailed(
                "On hand would exceed the largest storable quantity.",
                details={"variant_id": move.variant_id, "line_index": move.line_index},
            )
        lots = self.lots_by_item.get((move.location_id, move.variant_id), [])
        if move.lot_id is not None and not any(lot.pk == move.lot_id for lot in lots):
            raise NotFound(
                "Lot not found.",
                details={
                    "lot_id": move.lot_id,
                    "variant_id": move.variant_id,
                    "location_id": move.location_id,
                },
            )
        if not variant.track_lots or move.skip_lots:
            cost = self._current_cost(state, variant)
            state.on_hand += qty
            self._row(move, state, qty, cost)
            return
        needed = -qty
        if move.lot_id is not None:
            candidates = [lot for lot in lots if lot.pk == move.lot_id]
        else:
            candidates = self._fefo(lots, move.ref_type or self.ref_type)
        if sum((self.lot_qty[lot.pk] for lot in candidates), ZERO) < needed:
            self._shortage(move, state, needed, self._sellable(move, state, variant))
            return
        for lot in candidates:
            if needed <= 0:
                break
            take = min(self.lot_qty[lot.pk], needed)
            if take <= 0:
                continue
            self.lot_qty[lot.pk] -= take
            needed -= take
            state.on_hand -= take
            self._row(move, state, -take, lot.unit_cost, lot)

    def _fefo(self, lots, ref_type) -> list[Lot]:
        """FEFO: earliest expiry first (no expiry last), then earliest receipt; expired lots are
        never taken, except by corrections (adjustments, counts, waste, expiry), which take
        them first (SPEC §7)."""

        def order(lot):
            return (lot.expiry_date is None, lot.expiry_date or date.max, lot.received_at, lot.pk)

        fresh = sorted((lot for lot in lots if self._is_fresh(lot)), key=order)
        if ref_type not in CORRECTIVE_REF_TYPES:
            return fresh
        expired = sorted((lot for lot in lots if not self._is_fresh(lot)), key=order)
        return expired + fresh


def apply_moves(
    *,
    tenant,
    moves: list[StockMove],
    ref_type: str,
    ref_id: str = "",
    actor=None,
    occurred_at: datetime | None = None,
    variants: dict[int, Variant] | None = None,
) -> list[StockLedger]:
    """Apply stock moves atomically; return the ledger rows written (in move order).

    Must run inside a transaction (services wrap it with ``atomic_with_retry``).
    ``variants`` ({id: Variant}) may pass variants the caller already loaded for
    this tenant (their ``track_inventory``, ``track_lots``, ``reorder_point``,
    ``sku`` and ``cost`` are used); otherwise they are read in one query.
    Moves of variants that do not track inventory are skipped (no rows).
    Raises NotFound (404) for variants/locations of another tenant,
    InsufficientStock (409 ``insufficient_stock``, every short line in
    ``details["lines"]``), VersionConflict (409 ``version_conflict``),
    ValidationFailed (400). SPEC §3.1–§3.4, §4, §7.
    """
    if not moves:
        return []
    variants = _variants_of(tenant, moves, variants)
    _require_whole_units(moves, variants)
    stocked = [m for m in moves if variants[m.variant_id].track_inventory]
    pairs = {(m.location_id, m.variant_id) for m in stocked}
    items = _lock_existing(tenant, pairs, engine_columns=True) if pairs else {}
    # An item of this tenant exists only at one of its locations (checked when the item was
    # created), so the locations need checking only when some item is missing.
    if not pairs or pairs - items.keys():
        _check_locations(tenant, {m.location_id for m in moves})
    if not stocked:
        return []
    op = _Operation(
        tenant=tenant,
        variants=variants,
        moves=stocked,
        ref_type=ref_type,
        ref_id=str(ref_id),
        actor=actor,
        when=occurred_at or timezone.now(),
    )
    if pairs <= items.keys():
        return _plan_and_write(op, items)
    # A savepoint: an operation that fails leaves no empty items behind, even when the caller
    # catches the error inside its own transaction ("changes nothing", SPEC §3.3).
    with transaction.atomic():
        items = _create_and_lock(tenant, pairs, items, engine_columns=True)
        return _plan_and_write(op, items)


def _require_whole_units(moves: list[StockMove], variants: dict[int, Variant]) -> None:
    """No move takes a fractional quantity of a whole-number unit (400 ``fractional_quantity``)."""
    require_whole_units(
        (m.line_index, variants[m.variant_id], qty)
        for m in moves
        for qty in (m.qty, m.reserved, m.target_on_hand)
        if qty
    )


def _variants_of(tenant, moves, variants) -> dict[int, Variant]:
    """The caller's ``variants`` when they cover the moves and belong to ``tenant``; else one query."""
    variant_ids = {m.variant_id for m in moves}
    if (
        variants is None
        or not variant_ids <= variants.keys()
        or any(variants[pk].tenant_id != tenant.pk for pk in variant_ids)
    ):
        return _load_variants(tenant, variant_ids)
    return variants


def _plan_and_write(op: _Operation, items) -> list[StockLedger]:
    plan = _plan(op, items)
    _write(plan)
    return plan.rows


def _plan(op: _Operation, items) -> _Plan:
    """Lock the lots and plan the moves; raise InsufficientStock when still short.

    When short, overdue reservations on the short items are expired and the
    moves planned again, in a savepoint: when the operation is still short, the
    reservations it expired are restored even if a caller catches the error
    inside its own transaction.
    """
    lots_by_item = _lock_lots(op, items)
    plan = _Plan(op, items, lots_by_item)
    if not plan.short:
        return plan
    with transaction.atomic():
        short_keys = {(s["location_id"], s["variant_id"]) for s in plan.short}
        freed = _expire_overdue_reservations(op.tenant, short_keys, timezone.now())
        if freed:
            for key, qty in freed.items():
                items[key].reserved -= qty
            plan = _Plan(op, items, lots_by_item)
            for key in freed:
                plan.states[key].touched = True
        if plan.short:
            raise InsufficientStock(details={"lines": plan.short})
    return plan


def _lock_lots(op: _Operation, items) -> dict[tuple[int, int], list[Lot]]:
    """Lock the lots of the lot-tracked items, by (location_id, variant_id)."""
    lot_variant_ids = {v for _, v in items if op.variants[v].track_lots}
    lots_by_item: dict[tuple[int, int], list[Lot]] = defaultdict(list)
    if lot_variant_ids:
        for lot in lock_rows(
            Lot.objects.filter(
                tenant=op.tenant,
                variant_id__in=lot_variant_ids,
                location_id__in={loc for loc, _ in items},
            )
        ):
            lots_by_item[(lot.location_id, lot.variant_id)].append(lot)
    return lots_by_item


_ITEM_WRITE_FIELDS = (
    "on_hand",
    "reserved",
    "avg_unit_cost",
    "version",
    "last_movement_at",
    "updated_at",
    "allow_negative",
    "low_stock_alerted",
)


def _write(plan: _Plan) -> None:
    """Write a plan: lots, then items (and the low-stock alerts they cross into), then ledger rows."""
    token = ENGINE_WRITE.set(True)
    try:
        _write_lots(plan)
        alerts = _write_items(plan)
        _write_ledger(plan)
        _write_alerts(alerts, plan)
    finally:
        ENGINE_WRITE.reset(token)


def _write_lots(plan: _Plan) -> None:
    """Insert the new lots and update the quantities of the locked lots that changed."""
    if plan.new_lots:
        Lot.objects.bulk_create(list(plan.new_lots.values()))
    changed_lots = [
        lot
        for lots in plan.lots_by_item.values()
        for lot in lots
        if lot.qty != plan.lot_qty[lot.pk]
    ]
    for lot in changed_lots:
        lot.qty = plan.lot_qty[lot.pk]
    if changed_lots:
        Lot.objects.bulk_update(changed_lots, ["qty"])


def _write_items(plan: _Plan) -> list[LowStockAlert]:
    """Update the touched items (one statement on PostgreSQL; core.bulk); returns the new alerts."""
    now = timezone.now()
    alerts: list[LowStockAlert] = []
    changed = []
    for state in plan.states.values():
        if state.touched:
            item = _settle_item(plan, state, now)
            alert = _low_stock_crossing(plan, item)
            if alert is not None:
                alerts.append(alert)
            changed.append(item)
    if changed:
        update_rows(InventoryItem, changed, _ITEM_WRITE_FIELDS)
        for item in changed:
            item._loaded_qty = (item.on_hand, item.reserved)
    return alerts


def _settle_item(plan: _Plan, state: _ItemState, now: datetime) -> InventoryItem:
    """Copy a touched item's planned quantities and cost onto it, moving its version."""
    item = state.item
    item.on_hand, item.reserved, item.avg_unit_cost = state.on_hand, state.reserved, state.avg_cost
    item.version += 1
    item.last_movement_at = state.last_at or plan.when
    item.updated_at = now
    # The CHECK flag follows the tenant's setting, except that an item which went below
    # zero while it was allowed keeps it until it is back up (receipts must still work
    # after the tenant turned it off; the plan already refuses to take it lower).
    item.allow_negative = plan.tenant.allow_negative_stock or (
        item.allow_negative and (item.on_hand < 0 or item.reserved > item.on_hand)
    )
    return item


def _low_stock_crossing(plan: _Plan, item: InventoryItem) -> LowStockAlert | None:
    """The alert of a downward crossing of the threshold (once until it recovers; SPEC §4)."""
    threshold = resolve_threshold(item, plan.variants[item.variant_id], plan.tenant)
    available = item.on_hand - item.reserved
    if available <= threshold and not item.low_stock_alerted:
        item.low_stock_alerted = True
        return LowStockAlert(
            tenant=plan.tenant,
            item=item,
            location_id=item.location_id,
            variant_id=item.variant_id,
            available=available,
            threshold=threshold,
        )
    if available > threshold and item.low_stock_alerted:
        item.low_stock_alerted = False
    return None


def _write_ledger(plan: _Plan) -> None:
    """Insert the ledger rows (their transient ``line_index`` survives the insert)."""
    if plan.rows:
        line_indexes = [row.line_index for row in plan.rows]
        insert_rows(StockLedger, plan.rows)
        for row, index in zip(plan.rows, line_indexes, strict=True):
            row.line_index = index


def _write_alerts(alerts: list[LowStockAlert], plan: _Plan) -> None:
    """Insert the alerts, announce them once the transaction commits and write their
    ``stock.low`` events (not inside ``quiet_low_stock_alerts``)."""
    if alerts:
        LowStockAlert.objects.bulk_create(alerts)
        announce_on_commit([a.pk for a in alerts])
        if not alerts_are_quiet():
            events.stock_low(plan.tenant, alerts, plan.variants)
