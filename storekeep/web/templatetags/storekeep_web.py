"""Template helpers shared by every page: ``{% money amount %}`` in the tenant's currency."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.simple_tag(takes_context=True)
def money(context, amount, sign: str = ""):
    """``£12.50`` (two decimals, the tenant's currency; ``sign="-"`` prefixes a minus)."""
    tenant = getattr(context.get("request"), "tenant", None)
    currency = getattr(tenant, "currency", "GBP")
    try:
        value = Decimal(amount if amount not in (None, "") else 0)
    except (InvalidOperation, TypeError):
        return amount
    symbol = SYMBOLS.get(currency, f"{currency} ")
    prefix = "−" if (sign == "-" and value) or value < 0 else ""
    return f"{prefix}{symbol}{abs(value):,.2f}"
