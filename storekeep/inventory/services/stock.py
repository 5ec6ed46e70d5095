"""Stock services: receipts, adjustments, write-offs, sales, returns, voids (SPEC §4).

Each function takes keyword-only arguments, runs as one transaction (joining
the caller's when there is one) and returns the ledger rows it wrote.
Quantities are Decimals in the variant's stock unit; costs are per stock unit
in the tenant's currency (4 decimal places).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from storekeep.catalog.models import RecipeComponent
from storekeep.core.db import any_of, atomic_with_retry, column_list, fetch_rows
from storekeep.core.errors import ValidationFailed
from storekeep.core.numbers import clean_cost, clean_qty

from ..models import LedgerRefType, StockLedger, StockReason
from ._engine import StockMove, apply_moves

WRITE_OFF_REASONS = {
    StockReason.DAMAGE,
    StockReason.THEFT,
    StockReason.SPOILAGE,
    StockReason.EXPIRY,
    StockReason.OTHER,
    StockReason.CORRECTION,
}


@dataclass(frozen=True)
class ReceiptLine:
    variant_id: int
    qty: Decimal
    unit_cost: Decimal | None = None
    lot_code: str | None = None
    expiry_date: date | None = None


@dataclass(frozen=True)
class AdjustmentLine:
    """Either ``delta`` (signed) or ``on_hand`` (absolute, optionally with ``expected_version``)."""

    variant_id: int
    delta: Decimal | None = None
    on_hand: Decimal | None = None
    expected_version: int | None = None
    unit_cost: Decimal | None = None
    lot_code: str | None = None


@dataclass(frozen=True)
class StockLine:
    """A quantity of a variant leaving or entering stock (sales, returns, voids, write-offs)."""

    variant_id: int
    qty: Decimal
    unit_cost: Decimal | None = None
    lot_id: int | None = None
    note: str = ""  # the note of this line's ledger rows (sales, returns, voids)


def _reason(value: str, allowed) -> str:
    if value and value not in {str(r) for r in allowed}:
        raise ValidationFailed(
            "Unknown reason.",
            details={"reason": [value], "allowed": sorted(str(r) for r in allowed)},
        )
    return value


@atomic_with_retry
def receive_stock(
    *,
    tenant,
    location_id: int,
    lines: Sequence[ReceiptLine],
    actor=None,
    ref_type: str = LedgerRefType.RECEIPT,
    ref_id: str = "",
    reason: str = "",
    note: str = "",
    occurred_at: datetime | None = None,
) -> list[StockLedger]:
    """Receive goods into a location: on hand rises, moving-average cost is updated.

    ``lines``: qty > 0 in stock units, ``unit_cost`` per stock unit (defaults to
    the variant's cost; every receipt updates the moving average), optional lot
    code/expiry for lot-tracked variants. ``ref_type`` is RECEIPT or
    PURCHASE_ORDER_RECEIPT. Raises ValidationFailed (400 ``validation_error``: bad
    qty or cost, on hand beyond ``Decimal(14,3)``), NotFound (404 ``not_found``).
    SPEC §4, §6, §7.
    """
    if ref_type not in (LedgerRefType.RECEIPT, LedgerRefType.PURCHASE_ORDER_RECEIPT):
        raise ValidationFailed("receive_stock writes RECEIPT or PURCHASE_ORDER_RECEIPT rows.")
    _reason(reason, set(StockReason))
    moves = []
    for index, line in enumerate(lines):
        moves.append(
            StockMove(
                location_id=location_id,
                variant_id=line.variant_id,
                qty=clean_qty(line.qty),
                unit_cost=clean_cost(line.unit_cost),
                update_cost=True,
                lot_code=line.lot_code,
                expiry_date=line.expiry_date,
                reason=reason,
                note=note,
                line_index=index,
            )
        )
    if not moves:
        raise ValidationFailed("At least one line is required.", details={"lines": ["Empty."]})
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=ref_type,
        ref_id=ref_id,
        actor=actor,
        occurred_at=occurred_at,
    )


@atomic_with_retry
def adjust_stock(
    *,
    tenant,
    location_id: int,
    lines: Sequence[AdjustmentLine],
    reason: str,
    note: str = "",
    actor=None,
    ref_type: str = LedgerRefType.ADJUSTMENT,
    ref_id: str = "",
    occurred_at: datetime | None = None,
) -> list[StockLedger]:
    """Adjust on hand by a signed ``delta`` or set it to ``on_hand`` (absolute).

    An absolute set with ``expected_version`` fails with VersionConflict (409
    ``version_conflict``) when the item changed meanwhile. A decrease below zero
    fails with InsufficientStock (409). ``reason`` is one of SPEC §2's reasons.
    Also used by count reconciliation (``ref_type=COUNT_RECONCILE``). SPEC §4.
    """
    _reason(reason, set(StockReason))
    moves = []
    for index, line in enumerate(lines):
        if (line.delta is None) == (line.on_hand is None):
            raise ValidationFailed("Give either delta or on_hand.", details={"line_index": index})
        move = StockMove(
            location_id=location_id,
            variant_id=line.variant_id,
            reason=reason,
            note=note,
            line_index=index,
            expected_version=line.expected_version,
            unit_cost=clean_cost(line.unit_cost),
            lot_code=line.lot_code,
        )
        if line.delta is not None:
            move.qty = clean_qty(line.delta, field_name="delta", allow_negative=True)
        else:
            move.target_on_hand = clean_qty(
                line.on_hand,
                field_name="on_hand",
                allow_zero=True,
                allow_negative=tenant.allow_negative_stock,
            )
        moves.append(move)
    if not moves:
        raise ValidationFailed("At least one line is required.", details={"lines": ["Empty."]})
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=ref_type,
        ref_id=ref_id,
        actor=actor,
        occurred_at=occurred_at,
    )


@atomic_with_retry
def write_off(
    *,
    tenant,
    location_id: int,
    lines: Sequence[StockLine],
    reason: str,
    note: str = "",
    actor=None,
    ref_type: str | None = None,
    ref_id: str = "",
    occurred_at: datetime | None = None,
) -> list[StockLedger]:
    """Throw stock away (WASTE) or write off expired lots (EXPIRY); qty > 0 leaves stock.

    ``reason``: damage, theft, spoilage, expiry, correction or other. A line may
    name ``lot_id`` (expiry of one lot). ``ref_type`` defaults to EXPIRY for the
    reason ``expiry`` and WASTE otherwise (issue 15 item 3: the movement report's
    expired and waste columns). Raises InsufficientStock (409). SPEC §4, §7.
    """
    if ref_type is None:
        ref_type = LedgerRefType.EXPIRY if reason == StockReason.EXPIRY else LedgerRefType.WASTE
    if ref_type not in (LedgerRefType.WASTE, LedgerRefType.EXPIRY):
        raise ValidationFailed("write_off writes WASTE or EXPIRY rows.")
    if not reason:
        raise ValidationFailed("A reason is required.", details={"reason": ["Required."]})
    _reason(reason, WRITE_OFF_REASONS)
    moves = [
        StockMove(
            location_id=location_id,
            variant_id=line.variant_id,
            qty=-clean_qty(line.qty),
            lot_id=line.lot_id,
            reason=reason,
            note=note,
            line_index=index,
        )
        for index, line in enumerate(lines)
    ]
    if not moves:
        raise ValidationFailed("At least one line is required.", details={"lines": ["Empty."]})
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=ref_type,
        ref_id=ref_id,
        actor=actor,
        occurred_at=occurred_at,
    )


_RECIPE_FIELDS = ("parent_id", "component_id", "qty")
_RECIPE_COLUMNS = tuple((RecipeComponent, name) for name in _RECIPE_FIELDS)


def _recipe_rows(tenant_id: int, parent_ids) -> list[tuple[int, int, Decimal]]:
    """(parent id, component id, qty per parent unit) of the recipes of ``parent_ids``, in
    id order: hand-written, as every sale asks it (issue 11)."""
    condition, params = any_of(RecipeComponent, "parent_id", parent_ids)
    sql = (
        f"SELECT {column_list(RecipeComponent, _RECIPE_FIELDS)} "
        f"FROM {connection.ops.quote_name(RecipeComponent._meta.db_table)} WHERE tenant_id = %s AND {condition} ORDER BY id"
    )
    return fetch_rows(sql, [tenant_id, *params], _RECIPE_COLUMNS)


def _expand_recipes(
    tenant, lines: Sequence[StockLine]
) -> tuple[list[tuple[int, StockLine]], list[tuple[int, StockLine]]]:
    """Split lines into (plain lines, recipe component lines), one query (SPEC §7).

    A variant with recipe components moves its components instead of itself.
    """
    components: dict[int, list[tuple[int, Decimal]]] = {}
    parents = {line.variant_id for line in lines}
    if parents:
        for parent_id, component_id, qty in _recipe_rows(tenant.pk, parents):
            components.setdefault(parent_id, []).append((component_id, qty))
    plain, expanded = [], []
    for index, line in enumerate(lines):
        if line.variant_id in components:
            qty = clean_qty(line.qty)
            for component_id, per_unit in components[line.variant_id]:
                expanded.append(
                    (
                        index,
                        StockLine(variant_id=component_id, qty=qty * per_unit, note=line.note),
                    )
                )
        else:
            plain.append((index, line))
    return plain, expanded


def _note(moves: list[StockMove], note: str) -> None:
    """Write ``note`` (at most 255 characters) on every move's ledger row."""
    if note:
        for move in moves:
            move.note = note[:255]


def _document_moves(
    tenant, *, location_id, lines, sign, ref_type, recipe_ref_type, cost_from_line=False
):
    plain, expanded = _expand_recipes(tenant, lines)
    moves = []
    for index, line in plain:
        qty = clean_qty(line.qty)
        cost = clean_cost(line.unit_cost) if cost_from_line else None
        moves.append(
            StockMove(
                location_id=location_id,
                variant_id=line.variant_id,
                qty=sign * qty,
                line_index=index,
                unit_cost=cost,
                update_cost=cost is not None,
                note=line.note[:255],
            )
        )
    for index, line in expanded:
        moves.append(
            StockMove(
                location_id=location_id,
                variant_id=line.variant_id,
                qty=sign * line.qty.quantize(Decimal("0.001")),
                line_index=index,
                ref_type=recipe_ref_type,
                note=line.note[:255],
            )
        )
    return moves


@atomic_with_retry
def record_sale(
    *,
    tenant,
    location_id: int,
    lines: Sequence[StockLine],
    ref_id: str,
    actor=None,
    ref_type: str = LedgerRefType.SALE,
    occurred_at: datetime | None = None,
) -> list[StockLedger]:
    """Deduct sold quantities (SALE rows; recipe components as RECIPE_CONSUMPTION rows).

    Each row carries the unit cost at the time of sale (FIFO lot cost for lots,
    else the moving average); ``row.line_index`` maps it to ``lines``. Raises
    InsufficientStock (409) listing every short line, NotFound (404). SPEC §4, §5.
    """
    moves = _document_moves(
        tenant,
        location_id=location_id,
        lines=lines,
        sign=-1,
        ref_type=ref_type,
        recipe_ref_type=LedgerRefType.RECIPE_CONSUMPTION,
    )
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=ref_type,
        ref_id=ref_id,
        actor=actor,
        occurred_at=occurred_at,
    )


@dataclass(frozen=True)
class SaleStock:
    """The stock side of one sale in a batch: its ref id, time and lines."""

    ref_id: str
    lines: Sequence[StockLine]
    occurred_at: datetime | None = None


@atomic_with_retry
def record_sales(
    *,
    tenant,
    location_id: int,
    sales: Sequence[SaleStock],
    actor=None,
    variants: dict | None = None,
) -> list[StockLedger]:
    """Deduct several sales at one location in one operation, in the given order.

    The result is exactly that of calling :func:`record_sale` for each sale in
    turn (same rows, running balances, costs and times), with a constant number
    of queries for the whole batch. Each row has ``document_index`` (the sale's
    position in ``sales``) and ``line_index`` (the line's within its sale).
    All or nothing: one short line of any sale raises InsufficientStock (409,
    ``details["lines"]`` entries carry ``document_index``), and nothing is written.
    ``variants`` ({id: Variant} of this tenant) spares the engine reading them again.
    """
    flat = [line for sale in sales for line in sale.lines]
    positions = [(doc, index) for doc, sale in enumerate(sales) for index in range(len(sale.lines))]
    moves = _document_moves(
        tenant,
        location_id=location_id,
        lines=flat,
        sign=-1,
        ref_type=LedgerRefType.SALE,
        recipe_ref_type=LedgerRefType.RECIPE_CONSUMPTION,
    )
    latest = None
    for move in moves:
        doc, index = positions[move.line_index]
        sale = sales[doc]
        move.line_index, move.document_index = index, doc
        move.ref_id, move.occurred_at = str(sale.ref_id), sale.occurred_at
        if sale.occurred_at is not None and (latest is None or sale.occurred_at > latest):
            latest = sale.occurred_at
    # Keep the sales' order (recipe components were appended after the plain lines).
    moves.sort(key=lambda move: move.document_index)
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=LedgerRefType.SALE,
        actor=actor,
        occurred_at=latest,
        variants=variants,
    )


@atomic_with_retry
def record_return(
    *,
    tenant,
    location_id: int,
    lines: Sequence[StockLine],
    ref_id: str,
    actor=None,
    occurred_at: datetime | None = None,
    variants: dict | None = None,
    note: str = "",
    sale_ref_id: str | None = None,
    earlier_ref_ids: Iterable[str] | None = None,
) -> list[StockLedger]:
    """Restock returned quantities (RETURN rows) at the line's ``unit_cost`` when given. SPEC §5.

    ``variants`` ({id: Variant} of this tenant) spares the engine reading them again;
    ``note`` is written on every row (e.g. the approving manager and the reason).
    ``sale_ref_id`` (the sale's ref id, for a return against a receipt): lot-tracked quantities
    go back into the lots the sale took them from (same lot code and expiry, at this location,
    in the order the sale took them), less what the sale's earlier returns (``earlier_ref_ids``,
    their ref ids: a list or a ``values`` queryset, read in the same query) already put back
    into each; any excess goes to a new lot. Issue 12 item 8, as :func:`record_void`.
    """
    moves = _document_moves(
        tenant,
        location_id=location_id,
        lines=lines,
        sign=1,
        ref_type=LedgerRefType.RETURN,
        recipe_ref_type=LedgerRefType.RETURN,
        cost_from_line=True,
    )
    _note(moves, note)
    if sale_ref_id is not None and _may_track_lots(moves, variants):
        moves = _into_sold_lots(tenant, None, sale_ref_id, moves, earlier_ref_ids=earlier_ref_ids)
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=LedgerRefType.RETURN,
        ref_id=ref_id,
        actor=actor,
        occurred_at=occurred_at,
        variants=variants,
    )


def _may_track_lots(moves: list[StockMove], variants: dict | None) -> bool:
    """False only when ``variants`` shows that no moved variant tracks lots (spares a query)."""
    if variants is None:
        return True
    return any(
        move.variant_id not in variants or variants[move.variant_id].track_lots for move in moves
    )


def _into_sold_lots(
    tenant, location_id, ref_id, moves: list[StockMove], *, earlier_ref_ids=None
) -> list[StockMove]:
    """Split incoming moves of lot-tracked variants over the lots the sale ``ref_id`` took
    (its SALE / RECIPE_CONSUMPTION rows, in order; at ``location_id``, or wherever the sale was
    when None), less the lot quantities the RETURN rows of ``earlier_ref_ids`` put back. One
    query."""
    took = Q(
        ref_id=str(ref_id), ref_type__in=(LedgerRefType.SALE, LedgerRefType.RECIPE_CONSUMPTION)
    )
    if earlier_ref_ids is not None:  # a list, or a queryset kept lazy (a subquery here)
        took |= Q(ref_type=LedgerRefType.RETURN, ref_id__in=earlier_ref_ids)
    rows = StockLedger.objects.filter(took, tenant=tenant, lot__isnull=False)
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    rows = rows.order_by("pk").values_list(
        "variant_id", "lot__lot_code", "lot__expiry_date", "qty_delta", "ref_type"
    )
    taken: dict[int, list[list]] = defaultdict(list)
    back: dict[tuple, Decimal] = defaultdict(Decimal)
    for variant_id, code, expiry, qty_delta, ref_type in rows:
        if ref_type == LedgerRefType.RETURN:
            back[variant_id, code] += qty_delta
        else:
            taken[variant_id].append([code, expiry, -qty_delta])
    _less_returned(taken, back)
    if not taken:
        return moves
    out = []
    for move in moves:
        pool, remaining = taken.get(move.variant_id, []), move.qty
        while pool and remaining > 0:
            code, expiry, left = pool[0]
            part = min(left, remaining)
            out.append(replace(move, qty=part, lot_code=code, expiry_date=expiry))
            remaining -= part
            pool[0][2] -= part
            if pool[0][2] <= 0:
                pool.pop(0)
        if remaining > 0:
            out.append(replace(move, qty=remaining))
    return out


def _less_returned(taken: dict[int, list[list]], back: dict[tuple, Decimal]) -> None:
    """Take what earlier returns put back into each lot off the sale's takings from it."""
    for (variant_id, code), qty in back.items():
        for entry in taken.get(variant_id, []):
            if qty <= 0:
                break
            if entry[0] == code:
                part = min(entry[2], qty)
                entry[2] -= part
                qty -= part
        taken[variant_id] = [entry for entry in taken.get(variant_id, []) if entry[2] > 0]


@atomic_with_retry
def record_void(
    *,
    tenant,
    location_id: int,
    lines: Sequence[StockLine],
    ref_id: str,
    actor=None,
    occurred_at: datetime | None = None,
    note: str = "",
) -> list[StockLedger]:
    """Put back a voided sale's quantities (VOID rows), at the cost they left with.

    ``ref_id`` is the sale's: lot-tracked quantities go back into the lots the sale took them
    from (same lot code and expiry, so FEFO and expiry still apply to them), any excess into a
    new lot. ``lines`` as for :func:`record_sale`; ``note`` on every row (the void's reason and
    approver). Raises ValidationFailed (400), NotFound (404). SPEC §5, §7.
    """
    moves = _document_moves(
        tenant,
        location_id=location_id,
        lines=lines,
        sign=1,
        ref_type=LedgerRefType.VOID,
        recipe_ref_type=LedgerRefType.VOID,
        cost_from_line=True,
    )
    _note(moves, note)
    moves = _into_sold_lots(tenant, location_id, ref_id, moves)
    return apply_moves(
        tenant=tenant,
        moves=moves,
        ref_type=LedgerRefType.VOID,
        ref_id=ref_id,
        actor=actor,
        occurred_at=occurred_at,
    )
