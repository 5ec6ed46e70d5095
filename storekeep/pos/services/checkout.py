"""Quote and checkout (SPEC §5): the one path by which a sale is made.

The till, the API (``source=API``), the admin and the importer all call
`checkout`, so every sale moves stock through the engine, leaves SALE ledger
rows, and carries the totals of `compute_receipt`.

A checkout issues a constant number of SQL queries whatever its number of
lines: one variant lookup, one receipt-counter update, one sale insert, the
engine's ordered lock and bulk writes, one bulk insert of lines and one of
payments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection
from django.utils import timezone

from storekeep.core.bulk import RowFactory, insert_rows
from storekeep.core.db import bound_cursor, run_atomic
from storekeep.core.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InsufficientStock,
    InvalidState,
    ValidationFailed,
)
from storekeep.inventory.services.stock import SaleStock, StockLine, record_sales
from storekeep.locations.models import Location
from storekeep.pos import events
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import (
    Payment,
    ReceiptSequence,
    Register,
    RegisterSession,
    Sale,
    SaleLine,
    sale_write,
)

from .approvals import Approval, approve, approved_reason, discount_lines_over_limit
from .pricing import CartLine, PricedCart, currency_exponent, price_cart

ZERO = Decimal("0")
MONEY_STEP = Decimal("0.01")
COST_STEP = Decimal("0.0001")
_new_sale_line = RowFactory(SaleLine)


@dataclass(frozen=True)
class Tender:
    """A payment handed over: ``method`` CASH/CARD/OTHER, ``amount`` in currency."""

    method: str
    amount: Decimal


@dataclass
class CheckoutResult:
    """What a checkout wrote: the sale, its lines and payments, and the receipt."""

    sale: Sale
    lines: list[SaleLine]
    payments: list[Payment]
    priced: PricedCart
    change_due: Decimal

    @property
    def receipt(self):
        return self.priced.receipt


def quote(
    *,
    tenant,
    lines: Sequence[CartLine],
    allow_price_override: bool = False,
    order_discount_percent: Decimal | None = None,
    order_discount_amount: Decimal | None = None,
) -> PricedCart:
    """Price a cart exactly as `checkout` would, without writing anything (SPEC §5)."""
    return price_cart(
        tenant=tenant,
        lines=lines,
        allow_price_override=allow_price_override,
        order_discount_percent=order_discount_percent,
        order_discount_amount=order_discount_amount,
    )


def _settle_tenders(
    total: Decimal, tenders: Sequence[Tender], *, require_payment: bool, exponent: int
) -> tuple[list[tuple[str, Decimal, Decimal]], Decimal]:
    """Return ([(method, amount applied, amount tendered)], change due).

    Cash may exceed what is due (change is given from cash); card and other
    tenders may not exceed the total. Without tenders and without
    ``require_payment`` the whole total is recorded as OTHER.
    """
    quantum = Decimal(1).scaleb(-exponent)
    clean = [_clean_tender(index, tender, quantum) for index, tender in enumerate(tenders)]
    if not clean:
        if require_payment and total > 0:
            raise ValidationFailed(
                "Tenders must cover the total.",
                code=PosErrorCode.INSUFFICIENT_PAYMENT,
                status_code=422,
                details={"total": str(total), "tendered": "0.00"},
            )
        return ([("OTHER", total, total)] if total > 0 else []), ZERO.quantize(quantum)
    _check_cover(total, clean)
    change = sum((a for _, a in clean), ZERO) - total
    applied = []
    remaining_change = change
    for method, amount in reversed(clean):  # change comes out of the last cash tenders
        take = ZERO
        if method == Payment.Method.CASH and remaining_change > 0:
            take = min(amount, remaining_change)
            remaining_change -= take
        applied.append((method, amount - take, amount))
    applied.reverse()
    return applied, change


def _clean_tender(index: int, tender: Tender, quantum: Decimal) -> tuple[str, Decimal]:
    """(method, amount) of a known method and a positive amount in whole minor units (400)."""
    method = str(tender.method).upper()
    amount = tender.amount
    if method not in Payment.Method.values:
        raise ValidationFailed(
            "Unknown tender method.",
            code=PosErrorCode.INVALID_TENDER,
            details={
                "tender": index,
                "method": str(tender.method),
                "allowed": list(Payment.Method.values),
            },
        )
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(quantum)
        or amount >= Decimal("1e10")
    ):
        raise ValidationFailed(
            "A tender amount must be positive, in whole minor units.",
            code=PosErrorCode.INVALID_TENDER,
            details={"tender": index, "amount": str(amount)},
        )
    return method, amount


def _check_cover(total: Decimal, clean: list[tuple[str, Decimal]]) -> None:
    """The tenders cover the total, and only cash exceeds it (422)."""
    tendered = sum((a for _, a in clean), ZERO)
    non_cash = sum((a for m, a in clean if m != Payment.Method.CASH), ZERO)
    if tendered < total:
        raise ValidationFailed(
            "Tenders do not cover the total.",
            code=PosErrorCode.INSUFFICIENT_PAYMENT,
            status_code=422,
            details={"total": str(total), "tendered": str(tendered)},
        )
    if non_cash > total:
        raise ValidationFailed(
            "Card and other tenders cannot exceed the total; only cash gives change.",
            code=PosErrorCode.INVALID_TENDER,
            status_code=422,
            details={"total": str(total), "non_cash": str(non_cash)},
        )


def _next_register_number(*, tenant_id: int, register_id: int, count: int = 1) -> int:
    """Advance the register's receipt counter by ``count`` (row lock held until commit);
    returns the last number taken."""
    with bound_cursor() as cursor:
        cursor.execute(
            f"UPDATE {Register._meta.db_table} SET receipt_counter = receipt_counter + %s "
            "WHERE id = %s AND tenant_id = %s RETURNING receipt_counter",
            [count, register_id, tenant_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise InvalidState("The register does not exist.", details={"register_id": register_id})
    return row[0]


def _next_series_number(*, tenant_id: int, location_id: int, series: str, count: int = 1) -> int:
    """Advance a location's receipt series (sales made outside a till) by ``count``;
    returns the last number taken."""
    table = ReceiptSequence._meta.db_table
    sql = (
        f"UPDATE {table} SET last_value = last_value + %s "
        "WHERE tenant_id = %s AND location_id = %s AND series = %s RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, tenant_id, location_id, series])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {table} (tenant_id, location_id, series, last_value) "
                "VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING",
                [tenant_id, location_id, series],
            )
            cursor.execute(sql, [count, tenant_id, location_id, series])
            row = cursor.fetchone()
    return row[0]


def _unit_costs(rows, lines: Sequence[SaleLine]) -> dict[int, Decimal]:
    """Cost per sold unit of each line from the engine's ledger rows (FIFO lots, recipes)."""
    cost_by_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    seen: set[int] = set()
    for row in rows:
        index = getattr(row, "line_index", None)
        if index is None or row.unit_cost is None:
            continue
        seen.add(index)
        cost_by_line[index] += -row.qty_delta * row.unit_cost
    return {index: (cost_by_line[index] / lines[index].qty).quantize(COST_STEP) for index in seen}


def _short_lines(exc: InsufficientStock, lines: Sequence[CartLine], variants) -> InsufficientStock:
    """Name each short cart line (index, variant, sku) in the 409's details."""
    short = []
    for entry in exc.details.get("lines", []):
        entry = dict(entry)
        index = entry.get("line_index")
        if index is not None and index < len(lines):
            entry["line"] = index
            entry.setdefault("sku", variants[index].sku)
            entry["requested_variant_id"] = variants[index].pk
        short.append(entry)
    return InsufficientStock(
        "Not enough stock for " + ", ".join(str(s.get("sku")) for s in short) + ".",
        details={"lines": short},
    )


@dataclass(frozen=True)
class CartInput:
    """One cart of a `checkout_batch`: the per-sale arguments of `checkout`."""

    lines: Sequence[CartLine]
    tenders: Sequence[Tender] = ()
    external_ref: str = ""
    customer_ref: str = ""
    order_discount_percent: Decimal | None = None
    order_discount_amount: Decimal | None = None
    completed_at: datetime | None = None


@dataclass
class _Prepared:
    """A validated, priced cart, ready to be written."""

    cart: CartInput
    priced: PricedCart
    settled: list[tuple[str, Decimal, Decimal]]
    change_due: Decimal
    when: datetime
    # Lines whose discount a manager approved (issue 12): their indexes, who, and why.
    approved_lines: tuple[int, ...] = ()
    discount_approver: object = None
    discount_reason: str = ""


def _place(*, tenant, location, register_session, source):
    """Validate where the sale happens; returns its location."""
    if source not in Sale.Source.values:
        raise ValidationFailed("Unknown sale source.", details={"source": [str(source)]})
    if register_session is not None:
        if register_session.tenant_id != tenant.pk:
            raise ValidationFailed("This register session belongs to another tenant.")
        location = register_session.register.location
    elif location is None:
        raise ValidationFailed(
            "A checkout needs a register session or a location.",
            details={"location_id": ["Required."]},
        )
    if location.tenant_id != tenant.pk:
        raise ValidationFailed("This location belongs to another tenant.")
    return location


def _prepare(*, tenant, cart: CartInput, source, allow_price_override) -> _Prepared:
    """Validate and price one cart with `compute_receipt`; nothing is written."""
    if cart.external_ref and len(cart.external_ref) > 64:
        raise ValidationFailed("external_ref is too long (64 characters at most).")
    priced = price_cart(
        tenant=tenant,
        lines=cart.lines,
        allow_price_override=allow_price_override
        or source in (Sale.Source.IMPORT, Sale.Source.ADMIN),
        order_discount_percent=cart.order_discount_percent,
        order_discount_amount=cart.order_discount_amount,
    )
    settled, change_due = _settle_tenders(
        priced.receipt.total,
        cart.tenders,
        require_payment=source == Sale.Source.POS,
        exponent=currency_exponent(tenant),
    )
    return _Prepared(cart, priced, settled, change_due, cart.completed_at or timezone.now())


_SESSION_STATUS_SQL = f"SELECT status FROM {RegisterSession._meta.db_table} WHERE id = %s"


def _receipt_numbers(*, tenant, location, register_session, source, count: int) -> list[str]:
    """Take ``count`` consecutive receipt numbers (the counter row stays locked: parent first)."""
    if register_session is not None:
        last = _next_register_number(
            tenant_id=tenant.pk, register_id=register_session.register_id, count=count
        )
        # Read after the counter is locked: a close committed meanwhile is seen.
        with bound_cursor() as cursor:
            cursor.execute(_SESSION_STATUS_SQL, [register_session.pk])
            row = cursor.fetchone()
        status = row[0] if row else None
        if status != RegisterSession.Status.OPEN:
            raise InvalidState(
                "This register session is closed.",
                code=PosErrorCode.SESSION_CLOSED,
                details={"session_id": register_session.pk},
            )
        prefix = f"{location.code}-{register_session.register.code}"
    else:
        last = _next_series_number(
            tenant_id=tenant.pk, location_id=location.pk, series=source, count=count
        )
        prefix = f"{location.code}-{source}"
    return [f"{prefix}-{number:06d}" for number in range(last - count + 1, last + 1)]


def _persist(
    *, tenant, prepared: Sequence[_Prepared], location, register_session, actor, source
) -> list[CheckoutResult]:
    """Write prepared carts, in order, with a constant number of queries for the lot.

    Must run inside a transaction. Raises InsufficientStock (409) when any line
    of any cart is short, Conflict ``duplicate`` for a used ``external_ref``.
    """
    with sale_write():
        return _persist_rows(
            tenant=tenant,
            prepared=prepared,
            location=location,
            register_session=register_session,
            actor=actor,
            source=source,
        )


def _persist_rows(
    *, tenant, prepared: Sequence[_Prepared], location, register_session, actor, source
) -> list[CheckoutResult]:
    numbers = _receipt_numbers(
        tenant=tenant,
        location=location,
        register_session=register_session,
        source=source,
        count=len(prepared),
    )
    sales = [
        _new_sale(tenant, prep, number, location, register_session, actor, source)
        for prep, number in zip(prepared, numbers, strict=True)
    ]
    _insert_sales(sales, prepared)
    rows_by_sale = _deduct_stock(tenant, sales, prepared, location, actor)
    results = [
        _sale_rows(tenant, sale, prep, rows_by_sale[doc])
        for doc, (sale, prep) in enumerate(zip(sales, prepared, strict=True))
    ]
    insert_rows(SaleLine, [line for result in results for line in result.lines])
    payments = [payment for result in results for payment in result.payments]
    if payments:
        Payment.objects.bulk_create(payments)
    events.sales_completed(tenant, results)
    return results


def _new_sale(tenant, prep: _Prepared, receipt_number, location, register_session, actor, source):
    """The COMPLETED sale of a prepared cart (not saved)."""
    receipt = prep.priced.receipt
    return Sale(
        tenant=tenant,
        receipt_number=receipt_number,
        register_session=register_session,
        location=location,
        cashier=actor,
        status=Sale.Status.COMPLETED,
        source=source,
        external_ref=prep.cart.external_ref or "",
        customer_ref=prep.cart.customer_ref or "",
        subtotal=receipt.subtotal,
        discount_total=receipt.discount_total,
        tax_total=receipt.tax_total,
        total=receipt.total,
        change_due=prep.change_due,
        order_discount_percent=prep.cart.order_discount_percent,
        order_discount_amount=prep.cart.order_discount_amount,
        completed_at=prep.when,
    )


def _insert_sales(sales: list[Sale], prepared: Sequence[_Prepared]) -> None:
    """Insert the sales in one statement (409 ``duplicate`` for a used external_ref)."""
    try:
        insert_rows(Sale, sales)
    except IntegrityError:
        raise Conflict(
            "A sale with this external_ref already exists.",
            code=ErrorCode.DUPLICATE,
            details={
                "external_ref": [p.cart.external_ref for p in prepared if p.cart.external_ref]
            },
        ) from None


def _deduct_stock(tenant, sales, prepared, location, actor) -> dict[int, list]:
    """One engine operation for every sale (SALE rows under each sale's id and time);
    returns the ledger rows by sale index. A single short cart names its short lines."""
    stock = [
        SaleStock(
            ref_id=str(sale.pk),
            occurred_at=prep.when,
            lines=[
                StockLine(variant_id=variant.pk, qty=line.qty, note=_line_note(prep, index))
                for index, (line, variant) in enumerate(
                    zip(prep.priced.receipt.lines, prep.priced.variants, strict=True)
                )
            ],
        )
        for sale, prep in zip(sales, prepared, strict=True)
    ]
    try:
        known = {variant.pk: variant for prep in prepared for variant in prep.priced.variants}
        rows = record_sales(
            tenant=tenant, location_id=location.pk, sales=stock, actor=actor, variants=known
        )
    except InsufficientStock as exc:
        if len(prepared) == 1:
            raise _short_lines(exc, prepared[0].cart.lines, prepared[0].priced.variants) from None
        raise
    rows_by_sale: dict[int, list] = defaultdict(list)
    for row in rows:
        rows_by_sale[row.document_index].append(row)
    return rows_by_sale


def _line_note(prep: _Prepared, index: int) -> str:
    """The SALE row note of a line whose discount a manager approved."""
    if index not in prep.approved_lines:
        return ""
    who = prep.discount_approver.get_username()
    return f"Discount approved by {who}: {prep.discount_reason}"


def _sale_rows(tenant, sale: Sale, prep: _Prepared, stock_rows) -> CheckoutResult:
    """The sale's lines (unit cost from its ledger rows) and payments, not saved."""
    variants = prep.priced.variants
    sale_lines = [
        _new_sale_line(
            tenant=tenant,
            sale=sale,
            line_no=index + 1,
            variant=variant,
            qty=line.qty,
            unit_price=line.unit_price,
            gross=line.gross,
            discount=line.discount,
            net=line.net,
            tax_rate=line.tax_rate,
            tax=line.tax,
            fee=line.fee,
            line_total=line.line_total,
        )
        for index, (line, variant) in enumerate(
            zip(prep.priced.receipt.lines, variants, strict=True)
        )
    ]
    for index in prep.approved_lines:
        sale_lines[index].discount_approved_by = prep.discount_approver
        sale_lines[index].discount_reason = prep.discount_reason
    costs = _unit_costs(stock_rows, sale_lines)
    for index, sale_line in enumerate(sale_lines):
        sale_line.unit_cost = costs.get(index, variants[index].cost)
    payments = [
        Payment(tenant=tenant, sale=sale, method=method, amount=amount, tendered=tendered)
        for method, amount, tendered in prep.settled
    ]
    return CheckoutResult(
        sale=sale,
        lines=sale_lines,
        payments=payments,
        priced=prep.priced,
        change_due=prep.change_due,
    )


def checkout(
    *,
    tenant,
    lines: Sequence[CartLine],
    tenders: Sequence[Tender] = (),
    location: Location | None = None,
    register_session: RegisterSession | None = None,
    actor=None,
    source: str = Sale.Source.POS,
    external_ref: str = "",
    customer_ref: str = "",
    order_discount_percent: Decimal | None = None,
    order_discount_amount: Decimal | None = None,
    allow_price_override: bool = False,
    completed_at: datetime | None = None,
    membership=None,
    approval: Approval | None = None,
    discount_reason: str = "",
) -> CheckoutResult:
    """Sell a cart: price it, then in one transaction number, deduct and persist it.

    ``membership``: who sells; a CASHIER's discount above the tenant's limit needs a
    manager's ``approval`` and a ``discount_reason`` (`_sell`, `approvals`; issue 12).
    Arguments: the tenant; ``lines`` (`CartLine`, quantities in stock units);
    ``tenders`` (`Tender`; required to cover the total for ``source=POS``;
    without tenders other sources record the total as one OTHER payment);
    either ``register_session`` (an OPEN session: till sales, receipt
    ``STORE-REGISTER-000123``) or ``location`` (sales outside a till: receipt
    ``STORE-<SOURCE>-000123`` from a per-location series); ``source`` POS, API,
    IMPORT or ADMIN; ``external_ref`` (unique per tenant when set);
    ``allow_price_override`` lets lines carry a ``unit_price`` other than the
    catalog price (implied for IMPORT and ADMIN); ``completed_at`` (defaults
    to now; also the ledger rows' time, for replays of history).

    The transaction locks the register's receipt counter (parent first), then
    the stock rows in one ordered query through the engine; a short line fails
    the whole checkout with 409 ``insufficient_stock`` naming each short line,
    and nothing is written. Other errors: 400 (``empty_cart``,
    ``invalid_discount``, ``invalid_quantity``, ``invalid_price``,
    ``invalid_tender``), 403 ``price_override_forbidden``, 404
    ``unknown_variant``, 409 ``session_closed``, 409 ``duplicate`` (external_ref
    already used), 422 ``insufficient_payment``. SPEC §3.4, §3.7, §5.
    """
    location = _place(
        tenant=tenant, location=location, register_session=register_session, source=source
    )
    cart = CartInput(
        lines=lines,
        tenders=tenders,
        external_ref=external_ref,
        customer_ref=customer_ref,
        order_discount_percent=order_discount_percent,
        order_discount_amount=order_discount_amount,
        completed_at=completed_at,
    )
    prep = _prepare(
        tenant=tenant, cart=cart, source=source, allow_price_override=allow_price_override
    )
    place = {"location": location, "register_session": register_session, "source": source}
    return _sell(tenant, prep, place, actor, membership, approval, discount_reason)


def _sell(tenant, prep: _Prepared, place, actor, membership, approval, discount_reason):
    """Persist the cart; lines whose discount exceeds a cashier's limit need a manager's
    approval first (403 ``approval_required`` naming them, ``approval_invalid``; 400
    ``reason_required``), stored on each line and noted on its SALE ledger rows."""
    over = discount_lines_over_limit(
        tenant=tenant,
        membership=membership,
        lines=prep.cart.lines,
        receipt=prep.priced.receipt,
        order_discount_percent=prep.cart.order_discount_percent,
        order_discount_amount=prep.cart.order_discount_amount,
    )
    if over:
        return _persist_approved(tenant, prep, over, approval, discount_reason, actor, place)
    return _persist_in_savepoint(tenant=tenant, prepared=[prep], actor=actor, **place)[0]


def _persist_approved(tenant, prep, over, approval, discount_reason, actor, place):
    """Persist a cart whose lines ``over`` need a manager's approval of their discount: the
    approval (a token consumed) and the sale in one transaction, so a refused sale spends
    no token and an approval approves one sale."""

    def approved_persist():
        approved = approve(
            tenant=tenant,
            approval=approval,
            location_id=place["location"].pk,
            action="discount",
            lines=over,
            limit_percent=str(tenant.max_cashier_discount_percent),
        )
        prep.approved_lines = tuple(over)
        prep.discount_approver = approved.approver
        prep.discount_reason = approved_reason(discount_reason, approved)
        return _persist(tenant=tenant, prepared=[prep], actor=actor, **place)

    return run_atomic(approved_persist, savepoint=True)[0]


def checkout_batch(
    *,
    tenant,
    carts: Sequence[CartInput],
    location: Location | None = None,
    register_session: RegisterSession | None = None,
    actor=None,
    source: str = Sale.Source.POS,
    allow_price_override: bool = False,
) -> list[CheckoutResult | DomainError]:
    """Check out several carts in order, as if `checkout` were called for each in turn.

    Same validation, pricing, numbering, stock rules and rows as `checkout` (it
    is the same code), but the carts are written together: one receipt-counter
    update, one sale insert, one stock operation (one ordered lock query) and
    one line insert for the whole batch, so a replay of history (the importer)
    or an offline till syncing its queue costs a constant number of queries per
    batch. When any cart is refused (short stock, duplicate ``external_ref``),
    the batch is written cart by cart instead, so each cart succeeds or fails on
    its own exactly as sequential checkouts would.

    Returns one entry per cart, in order: its `CheckoutResult`, or the
    `DomainError` that refused it (the codes of `checkout`). SPEC §5.
    """
    location = _place(
        tenant=tenant, location=location, register_session=register_session, source=source
    )
    results: list[CheckoutResult | DomainError | None] = [None] * len(carts)
    prepared: list[tuple[int, _Prepared]] = []
    for index, cart in enumerate(carts):
        try:
            prep = _prepare(
                tenant=tenant, cart=cart, source=source, allow_price_override=allow_price_override
            )
        except DomainError as exc:
            results[index] = exc
        else:
            prepared.append((index, prep))
    if not prepared:
        return results

    place = {"location": location, "register_session": register_session, "source": source}

    def persist(items: list[tuple[int, _Prepared]]) -> list[CheckoutResult]:
        return _persist_in_savepoint(
            tenant=tenant, prepared=[prep for _, prep in items], actor=actor, **place
        )

    try:
        for (index, _), result in zip(prepared, persist(prepared), strict=True):
            results[index] = result
    except DomainError as batch_error:
        if len(prepared) == 1:
            results[prepared[0][0]] = batch_error
        else:
            _cart_by_cart(prepared, persist, results)
    return results


def _persist_in_savepoint(**arguments) -> list[CheckoutResult]:
    """`_persist` in its own transaction, or in a savepoint of the caller's, so a refused
    cart leaves nothing written and the caller's transaction usable."""
    return run_atomic(lambda: _persist(**arguments), savepoint=True)


def _cart_by_cart(prepared, persist, results) -> None:
    """After a refused batch: write each cart alone, so each succeeds or fails on its own."""
    for index, prep in prepared:
        try:
            results[index] = persist([(index, prep)])[0]
        except InsufficientStock as exc:
            results[index] = _short_lines(exc, prep.cart.lines, prep.priced.variants)
        except DomainError as exc:
            results[index] = exc
