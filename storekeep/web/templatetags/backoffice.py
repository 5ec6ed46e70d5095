"""Template helpers of the back office: quantities, money, sortable column headers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

register = template.Library()

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


@register.filter
def qty(value) -> str:
    """``12.000`` → ``12``, ``1.500`` → ``1.5``, thousands separated; blank for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number.normalize():,f}"


@register.filter
def money(value, currency: str = "") -> str:
    """``1234.5`` → ``£1,234.50`` (the tenant's currency symbol, else its ISO code)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "−" if number < 0 else ""
    symbol = SYMBOLS.get(currency, f"{currency} " if currency else "")
    return f"{sign}{symbol}{abs(number):,.2f}"


@register.filter
def signed(value) -> str:
    """A quantity change with its sign: ``+5``, ``−2.5``, ``0``."""
    if value is None:
        return ""
    number = Decimal(value)
    text = qty(abs(number))
    return f"+{text}" if number > 0 else (f"−{text}" if number < 0 else "0")


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, css: str = ""):
    """A column header linking to the list sorted by ``key`` (again: reversed), page reset."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    descending = current == key
    params["sort"] = f"-{key}" if descending else key
    if current == key:
        state, arrow = "ascending", " ▲"
    elif current == f"-{key}":
        state, arrow = "descending", " ▼"
    else:
        state, arrow = "none", ""
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a href="?{}">{}{}</a></th>',
        css,
        state,
        params.urlencode(),
        label,
        arrow,
    )


STATUS_LABELS = {
    "PARTIAL_RECEIVED": "Partially received",
    "IN_TRANSIT": "In transit",
    "IN_PROGRESS": "Counting",
    "FULL_STORE": "Full store",
}


@register.filter
def status_label(value) -> str:
    """A document status in words: ``PARTIAL_RECEIVED`` → ``Partially received``."""
    text = str(value or "")
    return STATUS_LABELS.get(text, text.replace("_", " ").capitalize())
