"""Canonical receipt arithmetic for the point of sale (SPEC §5 "Totals").

Everything here is pure: no database, no Django, Decimal only. `quote`,
`checkout`, refunds and the sales report all derive their money from these
functions, so a receipt, its refund and the report always agree.

Rules (SPEC §5):

* per line ``gross = round(unit_price × qty)`` to the currency's minor unit;
* a line discount (percent of gross, or an amount ≤ gross);
* an order discount (percent of, or an amount ≤, the sum of the lines' net
  after line discounts) allocated to the lines pro rata to that net, whole
  minor units distributed by largest remainder so the allocation sums exactly;
* ``net = gross − line discount − allocated order discount``;
* tax per line at the line's rate (a percentage), rounded to the minor unit,
  either extracted from ``net`` (prices include tax:
  ``tax = net − net / (1 + rate/100)``) or added to it;
* ``fee = round(fee_per_unit × qty)``, never discounted, never taxed;
* ``line_total = net (+ tax when exclusive) + fee``;
* receipt totals are sums of the rounded line values.

Every rounding is half-up (away from zero on .5) to the currency minor unit.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, localcontext

from storekeep.core.currencies import MINOR_UNITS

__all__ = [
    "Receipt",
    "ReceiptError",
    "ReceiptLine",
    "ReceiptLineInput",
    "RefundAmounts",
    "allocate_largest_remainder",
    "compute_receipt",
    "minor_unit_exponent",
    "prorate_refund",
    "tax_summary",
    "refund_line_amounts",
    "round_money",
]

ZERO = Decimal("0")
HUNDRED = Decimal("100")


# Generous working precision: unit prices have ≤ 4 decimals, quantities ≤ 3,
# so products are exact; only the tax extraction divides.
_PRECISION = 60


class ReceiptError(ValueError):
    """Invalid receipt input. ``code`` is a stable machine-readable error code.

    Codes: ``invalid_discount`` (negative, percent > 100, amount > what it
    discounts, both percent and amount given, finer than the minor unit),
    ``invalid_quantity`` (qty ≤ 0, returns beyond what was sold),
    ``invalid_price`` (negative unit price or fee), ``invalid_tax_rate``
    (negative rate), ``invalid_currency``.
    """

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True, slots=True)
class ReceiptLineInput:
    """One line of a cart.

    ``unit_price`` and ``fee_per_unit`` are in currency units (up to 4
    decimals), ``qty`` in the variant's stock unit (up to 3 decimals),
    ``tax_rate`` in percent (``Decimal("20")`` = 20 %). At most one of
    ``discount_percent`` / ``discount_amount``. ``key`` is opaque and returned
    unchanged on the matching output line.
    """

    unit_price: Decimal
    qty: Decimal
    tax_rate: Decimal = ZERO
    fee_per_unit: Decimal = ZERO
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    key: Hashable = None


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """A priced line. All money fields are rounded to the minor unit.

    ``discount = line_discount + order_discount``; ``net = gross − discount``.
    """

    key: Hashable
    unit_price: Decimal
    qty: Decimal
    tax_rate: Decimal
    gross: Decimal
    line_discount: Decimal
    order_discount: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    fee: Decimal
    line_total: Decimal


@dataclass(frozen=True, slots=True)
class Receipt:
    """A priced cart; every total is the exact sum of its lines' values."""

    lines: tuple[ReceiptLine, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    fee_total: Decimal
    total: Decimal
    currency: str
    prices_include_tax: bool


@dataclass(frozen=True, slots=True)
class RefundAmounts:
    """The share of a sold line refunded by one return of ``qty`` units."""

    qty: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    fee: Decimal
    line_total: Decimal


def minor_unit_exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (ISO 4217): GBP 2, JPY 0."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise ReceiptError("invalid_currency", f"Unknown currency {currency!r}.", currency=currency)
    return MINOR_UNITS.get(currency.upper(), 2)  # 2 for a code stored before codes were checked


_QUANTA = {exponent: Decimal(1).scaleb(-exponent) for exponent in range(5)}
#: The context every rounding runs in (the module's precision, the default traps).
_ROUNDING = Context(prec=_PRECISION)


def _quantum(exponent: int) -> Decimal:
    quantum = _QUANTA.get(exponent)
    return quantum if quantum is not None else Decimal(1).scaleb(-exponent)


def round_money(value: Decimal, exponent: int = 2) -> Decimal:
    """Round half-up to ``exponent`` decimals (the currency minor unit)."""
    return value.quantize(_quantum(exponent), rounding=ROUND_HALF_UP, context=_ROUNDING)


def _as_decimal(value: object, field: str) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ReceiptError("invalid_amount", f"{field} must be a finite number.", field=field)
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    # Floats would silently break the arithmetic; refuse them loudly.
    raise TypeError(f"{field} must be a Decimal, got {type(value).__name__}")


def _is_minor_units(value: Decimal, exponent: int) -> bool:
    return value == value.quantize(_quantum(exponent), rounding=ROUND_DOWN)


def _validate_discount(
    percent: Decimal | None,
    amount: Decimal | None,
    base: Decimal,
    exponent: int,
    what: str,
) -> Decimal:
    """Return the discount in money, rounded; ``base`` is what it discounts."""
    if percent is not None and amount is not None:
        raise ReceiptError(
            "invalid_discount", f"Give either a percent or an amount {what} discount, not both."
        )
    if percent is not None:
        percent = _as_decimal(percent, f"{what}_discount_percent")
        if percent < 0 or percent > HUNDRED:
            raise ReceiptError(
                "invalid_discount",
                f"A {what} discount percent must be between 0 and 100.",
                discount_percent=str(percent),
            )
        return round_money(base * percent / HUNDRED, exponent)
    if amount is not None:
        amount = _as_decimal(amount, f"{what}_discount_amount")
        if amount < 0:
            raise ReceiptError(
                "invalid_discount",
                f"A {what} discount amount cannot be negative.",
                discount_amount=str(amount),
            )
        if not _is_minor_units(amount, exponent):
            raise ReceiptError(
                "invalid_discount",
                f"A {what} discount amount must be in whole minor units of the currency.",
                discount_amount=str(amount),
            )
        if amount > base:
            raise ReceiptError(
                "invalid_discount",
                f"A {what} discount amount cannot exceed the amount it discounts ({base}).",
                discount_amount=str(amount),
                maximum=str(base),
            )
        return amount + ZERO  # normalise -0
    return round_money(ZERO, exponent)


def allocate_largest_remainder(
    total: Decimal, weights: Sequence[Decimal], exponent: int = 2
) -> list[Decimal]:
    """Split ``total`` over ``weights`` pro rata, in whole minor units, summing exactly.

    Each share starts at ``floor(total × w / Σw)``; the remaining minor units go
    one each to the largest fractional remainders (ties: earlier index first).
    With ``0 ≤ total ≤ Σw`` and minor-unit weights, no share exceeds its weight.
    ``Σw = 0`` requires ``total = 0``.
    """
    quantum = _quantum(exponent)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        weight_sum = sum(weights, ZERO)
        if weight_sum == 0:
            if total != 0:
                raise ReceiptError(
                    "invalid_discount", "Nothing to allocate a non-zero discount to."
                )
            return [round_money(ZERO, exponent) for _ in weights]
        units_total = int((total / quantum).to_integral_value(rounding=ROUND_HALF_UP))
        shares: list[int] = []
        remainders: list[Decimal] = []
        for weight in weights:
            exact = Decimal(units_total) * weight / weight_sum
            floor = int(exact.to_integral_value(rounding=ROUND_DOWN))
            shares.append(floor)
            remainders.append(exact - floor)
        leftover = units_total - sum(shares)
        order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in order[:leftover]:
            shares[i] += 1
        return [(Decimal(s) * quantum).quantize(quantum) for s in shares]


def compute_receipt(
    lines: Sequence[ReceiptLineInput],
    *,
    prices_include_tax: bool,
    currency: str = "GBP",
    order_discount_percent: Decimal | None = None,
    order_discount_amount: Decimal | None = None,
) -> Receipt:
    """Price a cart by SPEC §5 "Totals" and return the canonical receipt.

    Arguments: ``lines`` (see `ReceiptLineInput`), the tenant's
    ``prices_include_tax`` and ISO 4217 ``currency`` (its minor unit sets the
    rounding: 2 decimals for GBP/EUR/USD, 0 for JPY), at most one of
    ``order_discount_percent`` (0–100) / ``order_discount_amount`` (≤ the sum
    of the lines' net after line discounts).

    Raises `ReceiptError` with code ``invalid_discount``, ``invalid_quantity``,
    ``invalid_price``, ``invalid_tax_rate`` or ``invalid_currency``.
    """
    exponent = minor_unit_exponent(currency)
    zero = round_money(ZERO, exponent)

    with localcontext() as ctx:
        ctx.prec = _PRECISION

        staged = []
        for index, item in enumerate(lines):
            unit_price = _as_decimal(item.unit_price, "unit_price")
            qty = _as_decimal(item.qty, "qty")
            tax_rate = _as_decimal(item.tax_rate, "tax_rate")
            fee_per_unit = _as_decimal(item.fee_per_unit, "fee_per_unit")
            if qty <= 0:
                raise ReceiptError(
                    "invalid_quantity", "Quantities must be positive.", line=index, qty=str(qty)
                )
            if unit_price < 0:
                raise ReceiptError(
                    "invalid_price",
                    "Unit prices cannot be negative.",
                    line=index,
                    unit_price=str(unit_price),
                )
            if fee_per_unit < 0:
                raise ReceiptError(
                    "invalid_price",
                    "Fees cannot be negative.",
                    line=index,
                    fee_per_unit=str(fee_per_unit),
                )
            if tax_rate < 0:
                raise ReceiptError(
                    "invalid_tax_rate",
                    "Tax rates cannot be negative.",
                    line=index,
                    tax_rate=str(tax_rate),
                )
            gross = round_money(unit_price * qty, exponent)
            try:
                line_discount = _validate_discount(
                    item.discount_percent, item.discount_amount, gross, exponent, "line"
                )
            except ReceiptError as exc:
                exc.details.setdefault("line", index)
                raise
            staged.append((item, unit_price, qty, tax_rate, fee_per_unit, gross, line_discount))

        nets_before_order = [gross - disc for *_, gross, disc in staged]
        order_base = sum(nets_before_order, zero)
        order_discount = _validate_discount(
            order_discount_percent, order_discount_amount, order_base, exponent, "order"
        )
        allocations = allocate_largest_remainder(order_discount, nets_before_order, exponent)

        out: list[ReceiptLine] = []
        for (item, unit_price, qty, tax_rate, fee_per_unit, gross, line_discount), allocated in zip(
            staged, allocations, strict=True
        ):
            net = gross - line_discount - allocated
            if prices_include_tax:
                tax = round_money(net - net / (1 + tax_rate / HUNDRED), exponent)
            else:
                tax = round_money(net * tax_rate / HUNDRED, exponent)
            fee = round_money(fee_per_unit * qty, exponent)
            line_total = net + fee if prices_include_tax else net + tax + fee
            out.append(
                ReceiptLine(
                    key=item.key,
                    unit_price=unit_price,
                    qty=qty,
                    tax_rate=tax_rate,
                    gross=gross,
                    line_discount=line_discount,
                    order_discount=allocated,
                    discount=line_discount + allocated,
                    net=net,
                    tax=tax,
                    fee=fee,
                    line_total=line_total,
                )
            )

        return Receipt(
            lines=tuple(out),
            subtotal=sum((line.gross for line in out), zero),
            discount_total=sum((line.discount for line in out), zero),
            tax_total=sum((line.tax for line in out), zero),
            fee_total=sum((line.fee for line in out), zero),
            total=sum((line.line_total for line in out), zero),
            currency=currency.upper(),
            prices_include_tax=prices_include_tax,
        )


def prorate_refund(
    line_amounts: Mapping[str, Decimal],
    sold_qty: Decimal,
    already_returned_qty: Decimal,
    return_qty: Decimal,
    *,
    exponent: int = 2,
) -> dict[str, Decimal]:
    """Each of a sold line's amounts, pro rata to ``return_qty`` of ``sold_qty``.

    Cumulative rounding: the refund is ``round(a × (returned + qty) / sold) −
    round(a × returned / sold)``. Whatever the split of a line into returns,
    the refunds telescope to exactly ``a``; the return that brings the line to
    fully returned takes the exact remainder.

    Quantities in the stock unit; amounts in currency (already at the minor
    unit given by ``exponent``). Raises `ReceiptError` ``invalid_quantity``
    when ``return_qty ≤ 0`` or ``returned + qty > sold``.
    """
    sold = _as_decimal(sold_qty, "sold_qty")
    before = _as_decimal(already_returned_qty, "already_returned_qty")
    qty = _as_decimal(return_qty, "return_qty")
    if qty <= 0 or before < 0:
        raise ReceiptError("invalid_quantity", "A return quantity must be positive.", qty=str(qty))
    after = before + qty
    if after > sold:
        raise ReceiptError(
            "invalid_quantity",
            "Cannot return more than was sold minus what was already returned.",
            sold_qty=str(sold),
            already_returned_qty=str(before),
            return_qty=str(qty),
            returnable_qty=str(sold - before),
        )
    result: dict[str, Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for name, raw in line_amounts.items():
            amount = _as_decimal(raw, name)
            if after == sold:
                cumulative_after = amount
            else:
                cumulative_after = round_money(amount * after / sold, exponent)
            cumulative_before = round_money(amount * before / sold, exponent)
            result[name] = round_money(cumulative_after - cumulative_before, exponent)
    return result


def refund_line_amounts(
    *,
    gross: Decimal,
    discount: Decimal,
    tax: Decimal,
    fee: Decimal,
    prices_include_tax: bool,
    sold_qty: Decimal,
    already_returned_qty: Decimal,
    return_qty: Decimal,
    exponent: int = 2,
) -> RefundAmounts:
    """Refund of ``return_qty`` units of a sold line, consistent like a receipt line.

    The independent amounts (gross, discount, tax, fee) are prorated by
    `prorate_refund`; ``net = gross − discount`` and ``line_total = net
    (+ tax when exclusive) + fee`` are derived, so every refund is internally
    consistent and the refunds of a fully returned line equal its sold amounts.
    """
    parts = prorate_refund(
        {"gross": gross, "discount": discount, "tax": tax, "fee": fee},
        sold_qty,
        already_returned_qty,
        return_qty,
        exponent=exponent,
    )
    net = parts["gross"] - parts["discount"]
    line_total = net + parts["fee"] + (ZERO if prices_include_tax else parts["tax"])
    return RefundAmounts(
        qty=_as_decimal(return_qty, "return_qty"),
        gross=parts["gross"],
        discount=parts["discount"],
        net=net,
        tax=parts["tax"],
        fee=parts["fee"],
        line_total=line_total,
    )


def tax_summary(lines) -> list[dict]:
    """Per tax rate, ascending: ``{"rate", "net", "tax", "total"}`` of ``lines``.

    ``lines``: anything with ``tax_rate`` (percent), ``tax``, ``fee`` and
    ``line_total`` (priced `ReceiptLine`s or persisted sale lines). ``net`` is
    the amount without tax and ``total = net + tax`` (fees, untaxed, are left
    out), whether prices include tax or not; summed from the rounded line
    values, so the rates' tax adds up to the receipt's tax total. Issue 12 item 6.
    """
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        entry = by_rate.setdefault(Decimal(line.tax_rate), [Decimal("0"), Decimal("0")])
        entry[0] += line.tax
        entry[1] += line.line_total - line.fee
    return [
        {
            "rate": rate,
            "net": total - tax,
            "tax": tax,
            "total": total,
        }
        for rate, (tax, total) in sorted(by_rate.items())
    ]
