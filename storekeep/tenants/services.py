"""Tenant settings changes that reach other rows (SPEC §2, §3.3)."""

from __future__ import annotations

from storekeep.core.currencies import clean_currency
from storekeep.core.db import atomic_with_retry, lock_rows
from storekeep.core.hooks import Hook

from .models import Tenant

SETTINGS_FIELDS = (
    "name",
    "currency",
    "timezone",
    "prices_include_tax",
    "default_reorder_point",
    "allow_negative_stock",
    "return_window_days",
    "reservation_ttl_minutes",
)

#: Called in :func:`tenant_update_settings`' transaction, after the tenant row is
#: locked and before it is saved, with ``tenant`` (the locked row, old values)
#: and ``changes`` (the new values by field name). Inventory follows
#: ``allow_negative_stock`` on every stock row, refusing it while stock is negative.
settings_changing = Hook("tenants.settings_changing")


@atomic_with_retry
def tenant_update_settings(*, tenant: Tenant, **changes) -> Tenant:
    """Update the tenant's settings (keys of ``SETTINGS_FIELDS``); returns the saved tenant.

    Calls :data:`settings_changing` first: inventory sets every item's
    ``allow_negative`` to follow ``allow_negative_stock`` and refuses turning it
    off while some item is below zero (409 ``conflict``; see
    :func:`storekeep.inventory.hooks.follow_negative_stock_setting`). SPEC §2, §3.3.
    ``currency`` must be a current ISO 4217 code (400 ``validation_error``; stored upper-case).
    """
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not tenant settings: {sorted(unknown)}")
    if "currency" in changes:
        changes["currency"] = clean_currency(changes["currency"])
    locked = lock_rows(Tenant.objects.filter(pk=tenant.pk))[0]
    settings_changing(tenant=locked, changes=changes)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    for name in SETTINGS_FIELDS:
        setattr(tenant, name, getattr(locked, name))
    return locked
