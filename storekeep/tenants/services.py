"""Tenant settings changes that reach other rows (SPEC §2, §3.3)."""

from __future__ import annotations

from django.db.models import F, Q

from storekeep.core.db import atomic_with_retry
from storekeep.core.errors import Conflict
from storekeep.inventory.locking import lock_rows
from storekeep.inventory.models import InventoryItem

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


@atomic_with_retry
def tenant_update_settings(*, tenant: Tenant, **changes) -> Tenant:
    """Update the tenant's settings (keys of ``SETTINGS_FIELDS``); returns the saved tenant.

    Turning ``allow_negative_stock`` on or off also sets every item's
    ``allow_negative`` (the column the database CHECK reads) with one
    ``UPDATE … SET allow_negative`` — quantities are not touched, so this is not
    a second write path. Turning it off while some item is below zero (or has
    more reserved than on hand) raises Conflict (409 ``conflict``,
    ``details["items"]`` lists up to 20 of them). SPEC §2, §3.3.
    """
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not tenant settings: {sorted(unknown)}")
    locked = lock_rows(Tenant.objects.filter(pk=tenant.pk))[0]
    allow = changes.get("allow_negative_stock", locked.allow_negative_stock)
    if not allow and locked.allow_negative_stock:
        negative = (
            InventoryItem.objects.filter(tenant=locked)
            .filter(Q(on_hand__lt=0) | Q(reserved__gt=F("on_hand")))
            .values("id", "location_id", "variant_id", "on_hand", "reserved")[:20]
        )
        negative = [
            {**row, "on_hand": str(row["on_hand"]), "reserved": str(row["reserved"])}
            for row in negative
        ]
        if negative:
            raise Conflict(
                "Some items are below zero: bring them to zero or more before forbidding negative stock.",
                details={"items": negative},
            )
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    InventoryItem.objects.filter(tenant=locked).exclude(allow_negative=allow).update(
        allow_negative=allow
    )
    for name in SETTINGS_FIELDS:
        setattr(tenant, name, getattr(locked, name))
    return locked
