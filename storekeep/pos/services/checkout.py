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

from storekeep.core.bulk import insert_rows
from storekeep.core.errors import (
    Conflict,
    ErrorCode,
    InsufficientStock,
    InvalidState,
    ValidationFailed,
)
from storekeep.inventory.services.stock import StockLine, record_sale
from storekeep.locations.models import Location
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import Payment, ReceiptSequence, Register, RegisterSession, Sale, SaleLine

from ._tx import atomic_operation
from .pricing import CartLine, PricedCart, currency_exponent, price_cart

ZERO = Decimal("0")
MONEY_STEP = Decimal("0.01")
COST_STEP = Decimal("0.0001")


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
    clean: list[tuple[str, Decimal]] = []
    for index, tender in enumerate(tenders):
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
        clean.append((method, amount))
    if not clean:
        if require_payment and total > 0:
            raise ValidationFailed(
                "Tenders must cover the total.",
                code=PosErrorCode.INSUFFICIENT_PAYMENT,
                status_code=422,
                details={"total": str(total), "tendered": "0.00"},
            )
        return ([("OTHER", total, total)] if total > 0 else []), ZERO.quantize(quantum)
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
    change = tendered - total
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


def _next_register_number(*, tenant_id: int, register_id: int) -> int:
    """Increment the register's receipt counter (row lock held until commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Register._meta.db_table} SET receipt_counter = receipt_counter + 1 "
            "WHERE id = %s AND tenant_id = %s RETURNING receipt_counter",
            [register_id, tenant_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise InvalidState("The register does not exist.", details={"register_id": register_id})
    return row[0]


def _next_series_number(*, tenant_id: int, location_id: int, series: str) -> int:
    """Increment a location's receipt series for sales made outside a till."""
    table = ReceiptSequence._meta.db_table
    sql = (
        f"UPDATE {table} SET last_value = last_value + 1 "
        "WHERE tenant_id = %s AND location_id = %s AND series = %s RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, location_id, series])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {table} (tenant_id, location_id, series, last_value) "
                "VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING",
                [tenant_id, location_id, series],
            )
            cursor.execute(sql, [tenant_id, location_id, series])
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
) -> CheckoutResult:
    """Sell a cart: price it, then in one transaction number, deduct and persist it.

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
    if source not in Sale.Source.values:
        raise ValidationFailed("Unknown sale source.", details={"source": [str(source)]})
    if register_session is not None:
        if register_session.tenant_id != tenant.pk:
            raise ValidationFailed("This register session belongs to another tenant.")
        register = register_session.register
        location = register.location
    elif location is None:
        raise ValidationFailed(
            "A checkout needs a register session or a location.",
            details={"location_id": ["Required."]},
        )
    if location.tenant_id != tenant.pk:
        raise ValidationFailed("This location belongs to another tenant.")
    if external_ref and len(external_ref) > 64:
        raise ValidationFailed("external_ref is too long (64 characters at most).")

    if source in (Sale.Source.IMPORT, Sale.Source.ADMIN):
        allow_price_override = True
    priced = price_cart(
        tenant=tenant,
        lines=lines,
        allow_price_override=allow_price_override,
        order_discount_percent=order_discount_percent,
        order_discount_amount=order_discount_amount,
    )
    receipt = priced.receipt
    exponent = currency_exponent(tenant)
    settled, change_due = _settle_tenders(
        receipt.total, tenders, require_payment=source == Sale.Source.POS, exponent=exponent
    )
    when = completed_at or timezone.now()

    def write() -> CheckoutResult:
        if register_session is not None:
            number = _next_register_number(
                tenant_id=tenant.pk, register_id=register_session.register_id
            )
            status = (
                RegisterSession.objects.filter(pk=register_session.pk)
                .values_list("status", flat=True)
                .first()
            )
            if status != RegisterSession.Status.OPEN:
                raise InvalidState(
                    "This register session is closed.",
                    code=PosErrorCode.SESSION_CLOSED,
                    details={"session_id": register_session.pk},
                )
            receipt_number = f"{location.code}-{register_session.register.code}-{number:06d}"
        else:
            number = _next_series_number(
                tenant_id=tenant.pk, location_id=location.pk, series=source
            )
            receipt_number = f"{location.code}-{source}-{number:06d}"

        try:
            sale = Sale.objects.create(
                tenant=tenant,
                receipt_number=receipt_number,
                register_session=register_session,
                location=location,
                cashier=actor,
                status=Sale.Status.COMPLETED,
                source=source,
                external_ref=external_ref or "",
                customer_ref=customer_ref or "",
                subtotal=receipt.subtotal,
                discount_total=receipt.discount_total,
                tax_total=receipt.tax_total,
                total=receipt.total,
                change_due=change_due,
                order_discount_percent=order_discount_percent,
                order_discount_amount=order_discount_amount,
                completed_at=when,
            )
        except IntegrityError:
            raise Conflict(
                "A sale with this external_ref already exists.",
                code=ErrorCode.DUPLICATE,
                details={"external_ref": external_ref},
            ) from None
        stock_lines = [
            StockLine(variant_id=variant.pk, qty=line.qty)
            for line, variant in zip(receipt.lines, priced.variants, strict=True)
        ]
        try:
            rows = record_sale(
                tenant=tenant,
                location_id=location.pk,
                lines=stock_lines,
                ref_id=str(sale.pk),
                actor=actor,
                occurred_at=when,
            )
        except InsufficientStock as exc:
            raise _short_lines(exc, lines, priced.variants) from None
        sale_lines = [
            SaleLine(
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
                zip(receipt.lines, priced.variants, strict=True)
            )
        ]
        costs = _unit_costs(rows, sale_lines)
        for index, sale_line in enumerate(sale_lines):
            sale_line.unit_cost = costs.get(index, priced.variants[index].cost)
        insert_rows(SaleLine, sale_lines)
        payments = [
            Payment(tenant=tenant, sale=sale, method=method, amount=amount, tendered=tendered)
            for method, amount, tendered in settled
        ]
        if payments:
            Payment.objects.bulk_create(payments)
        return CheckoutResult(
            sale=sale, lines=sale_lines, payments=payments, priced=priced, change_due=change_due
        )

    return atomic_operation(write)
