"""The till's cart, kept server-side in the Django session (SPEC §11).

The cart is the cashier's draft of a sale: which variants, how many, which
discounts. It lives in the signed-in browser session, keyed to one open
register session, so a second tab sees the same cart and a page left open
shows the cart as it is now, not as it was. Prices and totals are never
stored: every render prices the cart with `storekeep.pos.services.quote`
(the same `compute_receipt` as the API and checkout).

``key`` is the cart's idempotency key: the Pay form carries it, and checkout
records it (``till-sale:<key>``), so a double-submitted payment is one sale.
``version`` grows on every change; the Pay form carries it too, so paying
from a page that shows an older cart is refused instead of charging for
something the cashier did not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from storekeep.pos.services import CartLine

SESSION_KEY = "storekeep_till_cart"
MAX_LINES = 200


class CartInputError(ValueError):
    """Input a cashier typed that cannot be a quantity or a discount; the message says why."""


@dataclass
class Line:
    id: int
    variant_id: int
    qty: Decimal
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None

    def as_cart_line(self) -> CartLine:
        return CartLine(
            variant_id=self.variant_id,
            qty=self.qty,
            discount_percent=self.discount_percent,
            discount_amount=self.discount_amount,
        )


@dataclass
class Cart:
    session_id: int
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    version: int = 0
    next_id: int = 1
    lines: list[Line] = field(default_factory=list)
    order_discount_percent: Decimal | None = None
    order_discount_amount: Decimal | None = None

    # ------------------------------------------------------------------ storage
    @classmethod
    def load(cls, session, session_id: int) -> Cart:
        """The cart of this register session (a new empty one for another session)."""
        data = session.get(SESSION_KEY)
        if not data or data.get("session_id") != session_id:
            return cls(session_id=session_id)
        return cls(
            session_id=session_id,
            key=data["key"],
            version=data["version"],
            next_id=data["next_id"],
            lines=[
                Line(
                    id=line["id"],
                    variant_id=line["variant_id"],
                    qty=Decimal(line["qty"]),
                    discount_percent=_dec(line.get("discount_percent")),
                    discount_amount=_dec(line.get("discount_amount")),
                )
                for line in data["lines"]
            ],
            order_discount_percent=_dec(data.get("order_discount_percent")),
            order_discount_amount=_dec(data.get("order_discount_amount")),
        )

    def save(self, session) -> None:
        session[SESSION_KEY] = {
            "session_id": self.session_id,
            "key": self.key,
            "version": self.version,
            "next_id": self.next_id,
            "lines": [
                {
                    "id": line.id,
                    "variant_id": line.variant_id,
                    "qty": str(line.qty),
                    "discount_percent": _str(line.discount_percent),
                    "discount_amount": _str(line.discount_amount),
                }
                for line in self.lines
            ],
            "order_discount_percent": _str(self.order_discount_percent),
            "order_discount_amount": _str(self.order_discount_amount),
        }

    @staticmethod
    def discard(session) -> None:
        session.pop(SESSION_KEY, None)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.lines)

    def line(self, line_id: int) -> Line | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def cart_lines(self) -> list[CartLine]:
        return [line.as_cart_line() for line in self.lines]

    # ----------------------------------------------------------------- changing
    def touch(self) -> None:
        self.version += 1

    def add(self, variant_id: int, qty: Decimal = Decimal("1")) -> Line:
        """Scanning an item already in the cart adds to its line."""
        for line in self.lines:
            if line.variant_id == variant_id:
                line.qty += qty
                self.touch()
                return line
        if len(self.lines) >= MAX_LINES:
            raise CartInputError(f"A sale has at most {MAX_LINES} lines.")
        line = Line(id=self.next_id, variant_id=variant_id, qty=qty)
        self.next_id += 1
        self.lines.append(line)
        self.touch()
        return line

    def remove(self, line_id: int) -> None:
        self.lines = [line for line in self.lines if line.id != line_id]
        self.touch()


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def _str(value) -> str | None:
    return None if value is None else str(value)


def parse_qty(text: str) -> Decimal:
    """A quantity the cashier typed: a positive number (e.g. ``2`` or ``0.5`` for kg)."""
    text = (text or "").strip().replace(",", ".")
    try:
        qty = Decimal(text)
    except InvalidOperation:
        raise CartInputError(f"“{text}” is not a quantity. Type a number, e.g. 2.") from None
    if not qty.is_finite():
        raise CartInputError(f"“{text}” is not a quantity. Type a number, e.g. 2.")
    if qty <= 0:
        raise CartInputError("The quantity must be more than 0. To take a line off, use Remove.")
    if qty != qty.quantize(Decimal("0.001")) or qty >= Decimal("100000"):
        raise CartInputError("The quantity is too large or has too many decimals.")
    return qty


def parse_discount(text: str) -> tuple[Decimal | None, Decimal | None]:
    """A discount typed as ``10%`` (percent) or ``2.50`` (amount); empty = no discount.

    Returns (percent, amount); whether it is allowed is the services' rule.
    """
    text = (text or "").strip().replace(",", ".").replace("£", "")
    if not text:
        return None, None
    percent = text.endswith("%")
    number = text[:-1].strip() if percent else text
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise CartInputError(
            f"“{text}” is not a discount. Type 10% for a percentage or 2.50 for an amount."
        ) from None
    if not value.is_finite() or value < 0:
        raise CartInputError("A discount cannot be negative.")
    if value == 0:
        return None, None
    if percent:
        if value > 100 or value != value.quantize(Decimal("0.01")):
            raise CartInputError("A percentage discount is between 0% and 100%.")
        return value, None
    if value != value.quantize(Decimal("0.01")):
        raise CartInputError("A discount amount has at most 2 decimals, e.g. 2.50.")
    return None, value


def format_discount(percent: Decimal | None, amount: Decimal | None) -> str:
    if percent is not None:
        return f"{percent.normalize():f}%"
    if amount is not None:
        return f"{amount:.2f}"
    return ""
