"""The till in the browser (SPEC §5, §11): open a register session, sell, take payment,
print the receipt, void, return, close with a Z report.

Views parse the form, call one service or selector of ``storekeep.pos`` (the same the
API calls) and render; a `DomainError` becomes a message next to what it concerns. The
cart is server-side (`cart.Cart`), priced on every render by `services.quote`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from storekeep.core.db import run_atomic
from storekeep.core.errors import DomainError, ErrorCode
from storekeep.core.models import IdempotencyRecord
from storekeep.pos import selectors, services
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import Payment, Register, RegisterSession, Return, ReturnLine, Sale
from storekeep.pos.services import ReturnLineInput, Tender
from storekeep.pos.services.approvals import (
    approval_from_credentials,
    void_needs_approval,
)
from storekeep.pos.totals import tax_summary
from storekeep.tenants.models import Role
from storekeep.web.access import TILL_ROLES, check_member
from storekeep.web.templatetags.storekeep_web import money

from .cart import Cart, CartInputError, format_discount, parse_discount, parse_qty

TILL_SESSION_KEY = "storekeep_till_session_id"
IDEMPOTENCY_PREFIX = "till-sale:"
ZERO = Decimal("0.00")


# ----------------------------------------------------------------------------- access


def _session_usable(request, session: RegisterSession) -> bool:
    """The API's rule (`PosView.session_for`): the cashier who opened it, or a manager of
    its store."""
    membership = request.membership
    if not membership.can_access_location(session.register.location_id):
        return False
    return session.opened_by_id == request.user.pk or membership.has_role(Role.MANAGER)


def _closed_message(session: RegisterSession) -> str:
    who = session.closed_by.get_username() if session.closed_by else "someone"
    when = timezone.localtime(session.closed_at).strftime("%H:%M") if session.closed_at else ""
    return (
        f"This till ({session.register.name}) was closed by {who} at {when}. "
        "Nothing was changed. Open a till to carry on."
    )


def _leave(request, message: str, level=messages.WARNING):
    """Back to the till's start page with a message (htmx: a full-page redirect)."""
    messages.add_message(request, level, message)
    url = reverse("till")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def till_view(view=None, *, require_open: bool = True):
    """A till page: a member with a till role, working on their register session.

    The session is the one remembered in the browser session (resumed from the
    user's open session when there is none). A session closed meanwhile, in
    another tab or on another device, sends the cashier back to the till's start
    with a message and changes nothing.
    """

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            refusal = check_member(request, roles=TILL_ROLES)
            if refusal is not None:
                return refusal
            session_id = request.session.get(TILL_SESSION_KEY)
            session = (
                selectors.till_session_get(tenant=request.tenant, session_id=session_id)
                if session_id
                else None
            )
            if session is not None and not _session_usable(request, session):
                session = None
            if session is None:
                session = selectors.open_session_of(
                    tenant=request.tenant,
                    user=request.user,
                    location_ids=request.membership.allowed_location_ids(),
                )
                if session is not None:
                    request.session[TILL_SESSION_KEY] = session.pk
            if require_open and (session is None or session.status != RegisterSession.Status.OPEN):
                if session is not None:
                    request.session.pop(TILL_SESSION_KEY, None)
                    Cart.discard(request.session)
                    return _leave(request, _closed_message(session))
                if request.method == "GET" and not request.htmx:
                    return redirect("till")
                return _leave(request, "Open a till first.")
            request.till = session
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def _error_text(exc: DomainError) -> str:
    """A message a cashier understands, for the service errors the till meets."""
    code = exc.code
    details = exc.details if isinstance(exc.details, dict) else {}
    if code == PosErrorCode.INSUFFICIENT_PAYMENT:
        return (
            f"The payment is short: {_money(details.get('tendered'))} tendered for a total of "
            f"{_money(details.get('total'))}. Nothing was charged."
        )
    if code == PosErrorCode.INVALID_TENDER and "non_cash" in details:
        return "Card and other payments cannot be more than the total; only cash gives change."
    if code == PosErrorCode.INVALID_TENDER:
        return "A payment amount must be more than 0, in pence (e.g. 12.50)."
    if code == PosErrorCode.INVALID_DISCOUNT:
        return f"That discount is not possible: {exc.message}"
    if code == PosErrorCode.INVALID_QUANTITY:
        return "The quantity must be a whole positive number for this item."
    if code == PosErrorCode.SESSION_CLOSED:
        return "This till is closed. Nothing was changed. Open a till to carry on."
    if code == PosErrorCode.EMPTY_CART:
        return "The cart is empty: scan an item first."
    if code == PosErrorCode.APPROVAL_REQUIRED:
        return "A manager must approve this: ask a manager to type their username and password."
    if code == PosErrorCode.REASON_REQUIRED:
        return "Give the reason the manager approves."
    if code == ErrorCode.TOO_MANY_ATTEMPTS:
        wait = details.get("retry_after")
        return f"Too many wrong passwords: try again in {wait} seconds." if wait else exc.message
    return exc.message


# Refusals after which the page asks for (again) a manager's username and password.
APPROVAL_CODES = {
    PosErrorCode.APPROVAL_REQUIRED,
    PosErrorCode.APPROVAL_INVALID,
    PosErrorCode.REASON_REQUIRED,
    ErrorCode.TOO_MANY_ATTEMPTS,
}


def _manager_approval(request, location_id):
    """The approval of the manager who typed their username and password on the page
    (checked through the login throttle: 403 ``approval_invalid``, 429), or None."""
    username = request.POST.get("manager_username", "").strip()
    if not username:
        return None
    return approval_from_credentials(
        request=request,
        tenant=request.tenant,
        location_id=location_id,
        username=username,
        password=request.POST.get("manager_password", ""),
    )


def _approval_context(request, exc: DomainError | None = None, *, ask=False) -> dict:
    """What the page needs to ask for a manager: after a refusal that needs one, or
    ``ask`` when it is known beforehand; the username typed is kept, never the password."""
    return {
        "ask_manager": ask or (exc is not None and exc.code in APPROVAL_CODES),
        "manager_username": request.POST.get("manager_username", "").strip(),
        "approval_reason": request.POST.get("approval_reason", ""),
    }


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


# ----------------------------------------------------------------------------- open / start


@till_view(require_open=False)
def till(request):
    """``/till/``: the sale screen of the open session, or the form to open one."""
    session = request.till
    if session is None or session.status != RegisterSession.Status.OPEN:
        return _open_page(request)
    cart = Cart.load(request.session, session.pk)
    return _render_sale(request, cart)


def _open_page(request, *, error: str | None = None, status: int = 200, form=None):
    registers = list(
        selectors.till_registers(
            tenant=request.tenant, location_ids=request.membership.allowed_location_ids()
        )
    )
    choices = []
    for register in registers:
        open_session = register.open_sessions[0] if register.open_sessions else None
        choices.append(
            {
                "register": register,
                "open_session": open_session,
                "mine": open_session is not None and open_session.opened_by_id == request.user.pk,
            }
        )
    free = [c for c in choices if c["open_session"] is None]
    form = form or {}
    selected = form.get("register") or (str(free[0]["register"].pk) if free else "")
    return render(
        request,
        "pos/till_open.html",
        {
            "choices": choices,
            "free": free,
            "selected": selected,
            "opening_float": form.get("opening_float", ""),
            "error": error,
        },
        status=status,
    )


@require_POST
@till_view(require_open=False)
def till_open(request):
    """Open a register session on a register of the member's store with an opening float."""
    form = {
        "register": request.POST.get("register", ""),
        "opening_float": request.POST.get("opening_float", "").strip(),
    }
    resume = request.POST.get("resume")
    if resume:
        session = selectors.till_session_get(tenant=request.tenant, session_id=_int(resume))
        if (
            session is None
            or session.status != RegisterSession.Status.OPEN
            or not _session_usable(request, session)
        ):
            return _open_page(request, error="That till is not open any more.", status=409)
        request.session[TILL_SESSION_KEY] = session.pk
        return redirect("till")
    register_id = _int(form["register"])
    register = (
        Register.objects.filter(tenant=request.tenant, pk=register_id)
        .select_related("location")
        .first()
        if register_id
        else None
    )
    if register is None or not request.membership.can_access_location(register.location_id):
        return _open_page(request, error="Choose a till of your store.", status=400, form=form)
    try:
        opening_float = _amount(form["opening_float"], "Opening float", allow_zero=True)
    except CartInputError as exc:
        return _open_page(request, error=str(exc), status=400, form=form)
    try:
        session, _token = services.register_session_open(
            membership=request.membership, register=register, opening_float=opening_float
        )
    except DomainError as exc:
        message = exc.message
        if exc.code == PosErrorCode.SESSION_ALREADY_OPEN:
            message = f"{register.name} is already open. Choose another till or resume yours."
        return _open_page(request, error=message, status=exc.status_code, form=form)
    request.session[TILL_SESSION_KEY] = session.pk
    Cart.discard(request.session)
    messages.success(
        request, f"{register.name} is open with an opening float of {session.opening_float}."
    )
    return redirect("till")


def _int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 10**18 else None


def _amount(text: str, label: str, *, allow_zero: bool = False, blank_is_zero=True) -> Decimal:
    """A money amount typed at the till: ``12.50`` (a £ sign and spaces are ignored)."""
    text = (text or "").strip().replace("£", "").replace(",", "")
    if not text:
        if blank_is_zero:
            return ZERO
        raise CartInputError(f"Enter the {label.lower()}.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CartInputError(f"{label}: “{text}” is not an amount. Type e.g. 50.00.") from None
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise CartInputError(f"{label} must be a positive amount.")
    if value != value.quantize(Decimal("0.01")) or value >= Decimal("1e9"):
        raise CartInputError(f"{label}: at most 2 decimals, e.g. 12.50.")
    return value


# ----------------------------------------------------------------------------- the cart


def _price(tenant, cart: Cart):
    """The cart priced by `services.quote` (None for an empty cart)."""
    if not cart.lines:
        return None
    return services.quote(
        tenant=tenant,
        lines=cart.cart_lines(),
        order_discount_percent=cart.order_discount_percent,
        order_discount_amount=cart.order_discount_amount,
    )


def _price_stored(request, cart: Cart):
    """Price the stored cart; lines whose product stopped being sold, or discounts no
    longer allowed, come off with a message rather than blocking the till."""
    try:
        return _price(request.tenant, cart), None
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        if exc.code in (PosErrorCode.UNKNOWN_VARIANT, PosErrorCode.VARIANT_INACTIVE):
            bad = {entry.get("line") for entry in details.get("lines", [])}
            cart.lines = [line for i, line in enumerate(cart.lines) if i not in bad]
            note = "An item that is no longer sold was taken off the cart."
        else:
            for line in cart.lines:
                line.discount_percent = line.discount_amount = None
            cart.order_discount_percent = cart.order_discount_amount = None
            note = f"Discounts were taken off the cart: {_error_text(exc)}"
        cart.touch()
        cart.save(request.session)
        return _price(request.tenant, cart), note


def _rows(cart: Cart, priced) -> list[dict]:
    if priced is None:
        return []
    rows = []
    for line, rline, variant in zip(cart.lines, priced.receipt.lines, priced.variants, strict=True):
        rows.append(
            {
                "id": line.id,
                "name": _display_name(variant),
                "sku": variant.sku,
                "qty": line.qty.normalize() if line.qty == line.qty.to_integral() else line.qty,
                "unit_price": rline.unit_price,
                "discount": rline.line_discount,
                "discount_text": format_discount(line.discount_percent, line.discount_amount),
                "line_total": rline.line_total,
                "tax_rate": rline.tax_rate,
            }
        )
    return rows


def _display_name(variant) -> str:
    name = variant.product.name if variant.product_id else variant.sku
    if variant.name and variant.name.lower() not in name.lower():
        name = f"{name} – {variant.name}"
    return name


def _render_sale(request, cart: Cart, *, error=None, priced=None, status=200, notice=None):
    """The sale screen (or, for htmx, its ``sale`` fragment) for this cart."""
    note = None
    if priced is None:
        priced, note = _price_stored(request, cart)
    receipt = priced.receipt if priced is not None else None
    context = {
        "session": request.till,
        "cart": cart,
        "rows": _rows(cart, priced),
        "receipt": receipt,
        "order_discount_text": format_discount(
            cart.order_discount_percent, cart.order_discount_amount
        ),
        "item_count": sum((line.qty for line in cart.lines), Decimal(0)),
        "error": error or note,
        "notice": notice,
        "currency": request.tenant.currency,
        "last_sale_id": request.session.get("storekeep_till_last_sale"),
    }
    template = "pos/till.html#sale" if request.htmx else "pos/till.html"
    return render(request, template, context, status=200 if request.htmx else status)


def _change_cart(request, change, *, notice=None):
    """Apply ``change(cart)``; when it or pricing the result fails, nothing changes and
    the message says why."""
    cart = Cart.load(request.session, request.till.pk)
    before = copy.deepcopy(cart)
    try:
        result = change(cart)
        priced = _price(request.tenant, cart)
    except CartInputError as exc:
        return _render_sale(request, before, error=str(exc), status=400)
    except DomainError as exc:
        return _render_sale(request, before, error=_error_text(exc), status=exc.status_code)
    cart.save(request.session)
    return _render_sale(
        request, cart, priced=priced, notice=result if isinstance(result, str) else notice
    )


@require_POST
@till_view
def cart_scan(request):
    """Add the item a barcode or SKU names (a scanner types the code and Enter)."""
    code = request.POST.get("code", "").strip()
    if not code:
        return _change_cart(request, lambda cart: None)

    def add(cart: Cart):
        variant = selectors.variant_for_code(tenant=request.tenant, code=code)
        if variant is None:
            raise CartInputError(f"No product has the barcode or SKU “{code}”. Nothing was added.")
        if not variant.is_active or not variant.product.is_active:
            raise CartInputError(f"{_display_name(variant)} is not sold any more.")
        cart.add(variant.pk)
        return f"Added {_display_name(variant)}."

    return _change_cart(request, add)


@require_POST
@till_view
def cart_add(request):
    """Add a product chosen from the search results."""
    variant_id = _int(request.POST.get("variant_id"))

    def add(cart: Cart):
        if variant_id is None:
            raise CartInputError("Choose a product to add.")
        cart.add(variant_id)

    return _change_cart(request, add)


@require_POST
@till_view
def cart_line(request, line_id: int):
    """Change one line: ``action`` inc / dec / set (``qty``) / discount (``discount``) / remove."""
    action = request.POST.get("action", "set")

    def change(cart: Cart):
        line = cart.line(line_id)
        if line is None:
            raise CartInputError(
                "That line is not in the cart any more (changed in another window)."
            )
        if action == "remove":
            cart.remove(line_id)
        elif action == "inc":
            line.qty += 1
        elif action == "dec":
            if line.qty - 1 <= 0:
                raise CartInputError(
                    "The quantity cannot go below 1. To take the line off, use Remove."
                )
            line.qty -= 1
        elif action == "discount":
            line.discount_percent, line.discount_amount = parse_discount(
                request.POST.get("discount", "")
            )
        else:
            line.qty = parse_qty(request.POST.get("qty", ""))
        cart.touch()

    return _change_cart(request, change)


@require_POST
@till_view
def cart_discount(request):
    """The order discount (``10%`` or ``5.00``) over the whole cart."""

    def change(cart: Cart):
        if not cart.lines:
            raise CartInputError("The cart is empty: scan an item first.")
        cart.order_discount_percent, cart.order_discount_amount = parse_discount(
            request.POST.get("discount", "")
        )
        cart.touch()

    return _change_cart(request, change)


@require_POST
@till_view
def cart_clear(request):
    def clear(cart: Cart):
        cart.lines = []
        cart.order_discount_percent = cart.order_discount_amount = None
        cart.touch()
        return "The cart was cleared."

    return _change_cart(request, clear)


@till_view
def product_search(request):
    """Search products by name (or SKU/barcode): the results fragment, keyboard-navigable."""
    term = request.GET.get("q", "").strip()
    results = (
        [
            {"id": v.pk, "name": _display_name(v), "sku": v.sku, "price": v.price}
            for v in selectors.variant_search(tenant=request.tenant, term=term)
        ]
        if len(term) >= 2
        else []
    )
    return render(
        request,
        "pos/till.html#search-results",
        {"results": results, "term": term, "searched": len(term) >= 2},
    )


# ----------------------------------------------------------------------------- payment


def _quick_amounts(total: Decimal) -> list[Decimal]:
    """Cash a customer is likely to hand over: the exact total, then round notes above it."""
    amounts = [total]
    for step in (Decimal(5), Decimal(10), Decimal(20), Decimal(50)):
        value = (total / step).to_integral_value(rounding=ROUND_CEILING) * step
        if value == total:
            value += step
        value = value.quantize(Decimal("0.01"))
        if value not in amounts:
            amounts.append(value)
    return amounts[:5]


def _pay_page(
    request, cart: Cart, priced, *, error=None, short=None, form=None, status=200, approval=None
):
    receipt = priced.receipt if priced is not None else None
    return render(
        request,
        "pos/pay.html",
        {
            **(approval or {}),
            "ask_reason": True,
            "session": request.till,
            "cart": cart,
            "rows": _rows(cart, priced),
            "receipt": receipt,
            "quick": _quick_amounts(receipt.total) if receipt else [],
            "error": error,
            "short": short or [],
            "form": form or {},
        },
        status=status,
    )


def _tenders(form: dict) -> list[Tender]:
    tenders = []
    for method, label in (("CASH", "Cash"), ("CARD", "Card"), ("OTHER", "Other")):
        amount = _amount(form.get(method.lower(), ""), label, allow_zero=True)
        if amount > 0:
            tenders.append(Tender(method=method, amount=amount))
    return tenders


def _fingerprint(cart: Cart) -> str:
    body = json.dumps(
        [
            [line.variant_id, str(line.qty), str(line.discount_percent), str(line.discount_amount)]
            for line in cart.lines
        ]
        + [str(cart.order_discount_percent), str(cart.order_discount_amount)]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _paid_sale_id(tenant, key: str) -> int | None:
    record = IdempotencyRecord.objects.filter(tenant=tenant, key=IDEMPOTENCY_PREFIX + key).first()
    if record is None or not record.response_body:
        return None
    return record.response_body.get("sale_id")


def _checkout_once(request, cart: Cart, tenders: list[Tender], approval=None):
    """Checkout recorded under the cart's key in the same transaction: a second submit of
    the same key (double click, reload) waits for the first and finds its sale."""
    key = IDEMPOTENCY_PREFIX + cart.key
    nested = connection.in_atomic_block

    def attempt():
        with transaction.atomic(savepoint=nested):
            record = IdempotencyRecord.objects.create(
                tenant=request.tenant, key=key, fingerprint=_fingerprint(cart)
            )
            result = services.checkout(
                tenant=request.tenant,
                lines=cart.cart_lines(),
                tenders=tenders,
                register_session=request.till,
                actor=request.user,
                source=Sale.Source.POS,
                order_discount_percent=cart.order_discount_percent,
                order_discount_amount=cart.order_discount_amount,
                membership=request.membership,
                approval=approval,
                discount_reason=request.POST.get("approval_reason", ""),
            )
            record.response_status = 201
            record.response_body = {"sale_id": result.sale.pk}
            record.save(update_fields=["response_status", "response_body"])
            return result.sale.pk

    try:
        return run_atomic(attempt), False
    except IntegrityError:
        sale_id = _paid_sale_id(request.tenant, cart.key)
        if sale_id is None:
            raise
        return sale_id, True


def _short_lines(exc: DomainError, cart: Cart, priced) -> list[dict]:
    rows = {row["id"]: row for row in _rows(cart, priced)}
    short = []
    for entry in exc.details.get("lines", []):
        index = entry.get("line", entry.get("line_index"))
        if index is None or index >= len(cart.lines):
            continue
        row = rows[cart.lines[index].id]
        short.append(
            {
                "name": row["name"],
                "sku": row["sku"],
                "requested": _qty(entry.get("requested")),
                "available": _qty(entry.get("available")),
            }
        )
    return short


def _qty(value) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number.normalize():f}" if number == number.to_integral() else f"{number:f}"


@till_view
def pay(request):
    """``/till/pay/``: tenders (cash with quick amounts, card, other, split) for the cart."""
    cart = Cart.load(request.session, request.till.pk)
    if request.method != "POST":
        if not cart.lines:
            messages.info(request, "The cart is empty: scan an item first.")
            return redirect("till")
        priced, note = _price_stored(request, cart)
        return _pay_page(request, cart, priced, error=note)

    key = request.POST.get("key", "")
    if key and key != cart.key:
        sale_id = _paid_sale_id(request.tenant, key)
        if sale_id is not None:
            messages.info(request, "This sale was already paid; here is its receipt.")
            return redirect("till-sale", sale_id=sale_id)
    if not cart.lines:
        messages.warning(request, "The cart is empty: nothing was charged.")
        return redirect("till")
    priced, note = _price_stored(request, cart)
    form = {m: request.POST.get(m, "") for m in ("cash", "card", "other")}
    quick = request.POST.get("quick", "")
    if quick:
        method, _, amount = quick.partition(":")
        form = {"cash": "", "card": "", "other": ""}
        form[method.lower() if method.lower() in form else "cash"] = amount
    if note or key != cart.key or request.POST.get("version") != str(cart.version):
        return _pay_page(
            request,
            cart,
            priced,
            error=note
            or "The cart changed in another window. Check the total, then take payment again.",
            form=form,
            status=409,
        )
    try:
        tenders = _tenders(form)
    except CartInputError as exc:
        return _pay_page(request, cart, priced, error=str(exc), form=form, status=400)
    if not tenders:
        return _pay_page(
            request,
            cart,
            priced,
            error="Enter how the customer pays: an amount in Cash, Card or Other.",
            form=form,
            status=400,
        )
    try:
        approval = _manager_approval(request, request.till.register.location_id)
        sale_id, replayed = _checkout_once(request, cart, tenders, approval)
    except DomainError as exc:
        short = []
        error = _error_text(exc)
        if exc.code == ErrorCode.INSUFFICIENT_STOCK:
            short = _short_lines(exc, cart, priced)
            error = "Not enough stock for the lines below. Nothing was sold."
        elif exc.code == PosErrorCode.APPROVAL_REQUIRED:
            limit = request.tenant.max_cashier_discount_percent.normalize()
            error = (
                f"The discount is more than you may give alone ({limit:f} %). "
                "A manager must approve it."
            )
        return _pay_page(
            request,
            cart,
            priced,
            error=error,
            short=short,
            form=form,
            status=exc.status_code,
            approval=_approval_context(request, exc),
        )
    if not replayed:
        Cart.discard(request.session)
        request.session["storekeep_till_last_sale"] = sale_id
    return redirect(f"{reverse('till-sale', kwargs={'sale_id': sale_id})}?paid=1")


# ----------------------------------------------------------------------------- sales


def _visible_sale(request, sale_id: int) -> Sale | None:
    try:
        sale = selectors.receipt_get(tenant=request.tenant, sale_id=sale_id)
    except DomainError:
        return None
    if not request.membership.can_access_location(sale.location_id):
        return None
    return sale


@till_view(require_open=False)
def sale_detail(request, sale_id: int):
    """The receipt of a sale: prints on an 80 mm roll or A4."""
    sale = _visible_sale(request, sale_id)
    if sale is None:
        return _leave(request, "No such sale in your stores.")
    lines = list(sale.lines.all())
    payments = list(sale.payments.all())
    session = request.till
    voidable = (
        sale.status == Sale.Status.COMPLETED
        and session is not None
        and session.status == RegisterSession.Status.OPEN
        and sale.register_session_id == session.pk
    )
    return render(
        request,
        "pos/receipt.html",
        {
            "sale": sale,
            "lines": [
                {"line": line, "name": _display_name(line.variant), "sku": line.variant.sku}
                for line in lines
            ],
            "payments": payments,
            "tax_rows": tax_summary(lines),
            "voidable": voidable,
            "returnable": sale.status == Sale.Status.COMPLETED
            and any(line.qty > line.qty_returned for line in lines),
            "just_paid": request.GET.get("paid") == "1",
            "session": session,
            "tenant": request.tenant,
        },
    )


@till_view(require_open=False)
def sales(request):
    """The session's sales, newest first, and finding a sale by receipt number."""
    session = request.till
    rows = (
        list(selectors.sale_list(tenant=request.tenant, filters={"session_id": session.pk}))
        if session is not None
        else []
    )
    return render(request, "pos/sales.html", {"sales": rows, "session": session})


@till_view(require_open=False)
def sale_find(request):
    """Open a sale by its receipt number (typed or scanned from the receipt)."""
    number = request.GET.get("receipt", "").strip()
    purpose = request.GET.get("for", "")
    back = "till-returns" if purpose == "return" else "till-sales"
    if not number:
        messages.error(request, "Type or scan the receipt number.")
        return redirect(back)
    sale = selectors.sale_by_receipt_number(tenant=request.tenant, receipt_number=number)
    if sale is None or not request.membership.can_access_location(sale.location_id):
        messages.error(request, f"No sale has the receipt number “{number}”.")
        return redirect(back)
    if purpose == "return":
        return redirect("till-sale-return", sale_id=sale.pk)
    return redirect("till-sale", sale_id=sale.pk)


@till_view
def sale_void(request, sale_id: int):
    """Void a sale of this till's open session; a reason is asked and kept."""
    sale = _visible_sale(request, sale_id)
    if sale is None:
        return _leave(request, "No such sale in your stores.")
    ask = void_needs_approval(tenant=request.tenant, membership=request.membership)
    context = {
        "sale": sale,
        "reason": request.POST.get("reason", "").strip(),
        **_approval_context(request, ask=ask),
    }
    if request.method != "POST":
        return render(request, "pos/void.html", context)
    if not context["reason"]:
        context["error"] = "Give the reason for the void."
        return render(request, "pos/void.html", context, status=400)
    try:
        services.sale_void(
            tenant=request.tenant,
            sale_id=sale.pk,
            actor=request.user,
            register_session=request.till,
            reason=context["reason"],
            membership=request.membership,
            approval=_manager_approval(request, sale.location_id),
        )
    except DomainError as exc:
        context["error"] = _error_text(exc)
        context.update(_approval_context(request, exc, ask=ask))
        return render(request, "pos/void.html", context, status=exc.status_code)
    messages.success(request, f"Sale {sale.receipt_number} is void; its items are back in stock.")
    return redirect("till-sale", sale_id=sale.pk)


# ----------------------------------------------------------------------------- returns


@till_view(require_open=False)
def returns(request):
    """Start a return: find the sale by its receipt number."""
    return render(request, "pos/returns.html", {"session": request.till})


@till_view
def sale_return(request, sale_id: int):
    """Choose the lines and quantities of a sale to return, restock or discard."""
    sale = _visible_sale(request, sale_id)
    if sale is None:
        return _leave(request, "No such sale in your stores.")
    lines = list(sale.lines.all())
    rows = [
        {
            "line": line,
            "name": _display_name(line.variant),
            "returnable": line.qty - line.qty_returned,
            "qty": request.POST.get(f"qty-{line.pk}", ""),
            "disposition": request.POST.get(f"disposition-{line.pk}", "RESTOCK"),
        }
        for line in lines
    ]
    first_method = next(iter(sale.payments.all()), None)
    context = {
        "sale": sale,
        "rows": rows,
        "reason": request.POST.get("reason", ""),
        "refund_method": request.POST.get(
            "refund_method", first_method.method if first_method else "CASH"
        ),
        "methods": Payment.Method.choices,
    }
    if request.method != "POST":
        return render(request, "pos/return_form.html", context)
    inputs = []
    try:
        for row in rows:
            text = row["qty"].strip()
            if not text or text == "0":
                continue
            qty = parse_qty(text)
            if qty > row["returnable"]:
                raise CartInputError(
                    f"{row['name']}: at most {_qty(row['returnable'])} can be returned."
                )
            disposition = row["disposition"]
            if disposition not in ReturnLine.Disposition.values:
                raise CartInputError("Choose Restock or Discard for each line.")
            inputs.append(
                ReturnLineInput(qty=qty, sale_line_id=row["line"].pk, disposition=disposition)
            )
        if not inputs:
            raise CartInputError("Enter the quantity to return on at least one line.")
        if context["refund_method"] not in Payment.Method.values:
            raise CartInputError("Choose how the refund is paid.")
    except CartInputError as exc:
        context["error"] = str(exc)
        return render(request, "pos/return_form.html", context, status=400)
    try:
        ret = services.return_create(
            tenant=request.tenant,
            sale_id=sale.pk,
            lines=inputs,
            reason=context["reason"].strip()[:255],
            actor=request.user,
            register_session=request.till,
            manager_approved=request.membership.has_role(Role.MANAGER),
            refund_method=context["refund_method"],
            membership=request.membership,
            approval=_manager_approval(request, request.till.register.location_id),
        )
    except DomainError as exc:
        context["error"] = _error_text(exc)
        if exc.code == PosErrorCode.REASON_REQUIRED:
            context["error"] = "Give the reason for the return."
        context.update(_approval_context(request, exc))
        return render(request, "pos/return_form.html", context, status=exc.status_code)
    return redirect("till-return", return_id=ret.pk)


def _visible_return(request, return_id: int) -> Return | None:
    ret = (
        Return.objects.filter(tenant=request.tenant, pk=return_id)
        .select_related("sale", "location", "approved_by")
        .first()
    )
    if ret is None or not request.membership.can_access_location(ret.location_id):
        return None
    return ret


@till_view(require_open=False)
def return_detail(request, return_id: int):
    """A return: the refund shown before it is confirmed; confirming finalizes it."""
    ret = _visible_return(request, return_id)
    if ret is None:
        return _leave(request, "No such return in your stores.")
    if request.method == "POST":
        if request.till is None or request.till.status != RegisterSession.Status.OPEN:
            return _leave(request, "Open a till to pay the refund.")
        try:
            ret, applied = services.return_finalize(
                tenant=request.tenant,
                return_id=ret.pk,
                actor=request.user,
                membership=request.membership,
                approval=_manager_approval(request, ret.location_id),
                reason=request.POST.get("approval_reason", ""),
            )
        except DomainError as exc:
            if exc.code not in APPROVAL_CODES:
                messages.error(request, exc.message)
                return redirect("till-return", return_id=return_id)
            return _return_page(
                request,
                ret,
                error=_error_text(exc),
                status=exc.status_code,
                approval={**_approval_context(request, exc), "ask_reason": not ret.reason},
            )
        if applied:
            messages.success(
                request,
                f"Refunded {ret.refund_total} by {ret.get_refund_method_display().lower()}.",
            )
        return redirect("till-return", return_id=ret.pk)
    return _return_page(request, ret)


def _return_page(request, ret: Return, *, error=None, status=200, approval=None):
    lines = list(ret.lines.select_related("variant__product", "sale_line").order_by("pk"))
    return render(
        request,
        "pos/return_detail.html",
        {
            **(approval or {}),
            "ret": ret,
            "lines": [{"line": line, "name": _display_name(line.variant)} for line in lines],
            "session": request.till,
            "error": error,
        },
        status=status,
    )


# ----------------------------------------------------------------------------- closing


@till_view
def cash_movements(request):
    """Paid in / paid out: cash put into or taken out of the drawer, with a reason (counted in
    the expected cash of the Z report; issue 12 item 6)."""
    session = request.till
    form = {
        "direction": request.POST.get("direction", "OUT"),
        "amount": request.POST.get("amount", ""),
        "reason": request.POST.get("reason", "").strip(),
    }
    context = {"session": session, "form": form}
    status = 200
    if request.method == "POST":
        try:
            amount = _amount(form["amount"], "Amount", blank_is_zero=False)
            if not form["reason"]:
                raise CartInputError("Give the reason (e.g. change from the bank, milk).")
            movement = services.cash_movement_record(
                session=session,
                direction=form["direction"],
                amount=amount,
                reason=form["reason"],
                actor=request.user,
            )
        except CartInputError as exc:
            context["error"], status = str(exc), 400
        except DomainError as exc:
            context["error"], status = _error_text(exc), exc.status_code
        else:
            messages.success(
                request,
                f"{movement.get_direction_display()}: "
                f"{money({'request': request}, movement.amount)} ({movement.reason}).",
            )
            return redirect("till-cash")
    context["movements"] = list(
        selectors.cash_movement_list(tenant=request.tenant, session=session)
    )
    return render(request, "pos/cash.html", context, status=status)


@till_view
def close(request):
    """Close the till: counted cash, then the Z report."""
    session = request.till
    context = {"session": session, "counted_cash": request.POST.get("counted_cash", "")}
    if request.method == "POST":
        try:
            counted = _amount(
                context["counted_cash"], "Counted cash", allow_zero=True, blank_is_zero=False
            )
            session, _report = services.register_session_close(
                session=session, counted_cash=counted, actor=request.user
            )
        except CartInputError as exc:
            context["error"] = str(exc)
        except DomainError as exc:
            context["error"] = exc.message
        else:
            request.session.pop(TILL_SESSION_KEY, None)
            Cart.discard(request.session)
            messages.success(request, f"{session.register.name} is closed.")
            return redirect("till-z-report", session_id=session.pk)
        return render(request, "pos/close.html", context, status=400)
    context["report"] = selectors.z_report(tenant=request.tenant, session=session)
    return render(request, "pos/close.html", context)


@till_view(require_open=False)
def z_report(request, session_id: int):
    """The Z report of a register session (printable)."""
    session = selectors.till_session_get(tenant=request.tenant, session_id=session_id)
    if session is None or not _session_usable(request, session):
        return _leave(request, "No such till session in your stores.")
    report = selectors.z_report(tenant=request.tenant, session=session)
    return render(
        request,
        "pos/z_report.html",
        {"session": session, "report": report, "tenant": request.tenant},
    )
