"""The navigation bar of the web UI: one list, filtered by role (SPEC §11).

To add a page to the bar, give its route the ``url_name`` of an entry below (or
add an entry): an entry is shown only when its route exists and the member's
role reaches ``min_role`` (and is in ``roles`` when given). Order here is the
order on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from storekeep.tenants.models import Role

from .access import TILL_ROLES


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    min_role: str = Role.VIEWER
    roles: tuple[str, ...] | None = None
    description: str = ""

    def allows(self, membership) -> bool:
        if self.roles is not None and membership.role not in self.roles:
            return False
        return membership.has_role(self.min_role)


NAV: list[NavItem] = [
    NavItem("Till", "till", roles=TILL_ROLES, description="Sell, take payment, returns, Z report"),
    NavItem("Dashboard", "dashboard", description="Sales and stock at a glance"),
    NavItem("Stock", "stock", description="Stock levels, low-stock items, an item's history"),
    NavItem("Transfers", "transfers", description="Move stock between locations"),
    NavItem("Counts", "counts", description="Cycle counts and variances"),
    NavItem("Purchasing", "purchasing", description="Purchase orders and receiving"),
    NavItem("Reorder", "reorder", description="What to order, as CSV"),
    NavItem("Sales", "sales", description="Sales and returns"),
    NavItem("Staff", "staff", min_role=Role.MANAGER, description="People, roles and stores"),
]


def items_for(membership) -> list[dict]:
    """The entries this member sees: ``[{"label", "url", "description"}]`` (routes that exist)."""
    if membership is None:
        return []
    items = []
    for item in NAV:
        if not item.allows(membership):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "description": item.description})
    return items


def navigation(request) -> dict:
    """Context processor: ``nav_items`` (with ``current`` for the page's own section) and
    ``membership`` for `web/base.html`."""
    membership = getattr(request, "membership", None)
    items = items_for(membership)
    for item in items:
        item["current"] = request.path.startswith(item["url"])
    return {"nav_items": items, "membership": membership}
