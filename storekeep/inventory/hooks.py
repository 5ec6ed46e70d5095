"""What inventory does when a lower app's hook fires (see :mod:`storekeep.core.hooks`).

Registered by :class:`storekeep.inventory.apps.InventoryConfig`.
"""

from django.db.models import F, Q

from storekeep.core.errors import Conflict, ErrorCode, InvalidState

from .models import InventoryItem


def follow_negative_stock_setting(*, tenant, changes: dict) -> None:
    """Make every item's ``allow_negative`` follow the tenant's ``allow_negative_stock``.

    ``tenant`` is the locked row with its old values; ``changes`` the new ones.
    One ``UPDATE … SET allow_negative`` (the column the database CHECK reads);
    quantities are not touched, so this is not a second write path. Turning
    it off while some item is below zero (or has more reserved than on hand)
    raises Conflict (409 ``conflict``, ``details["items"]`` lists up to 20 of
    them). SPEC §2, §3.3.
    """
    allow = changes.get("allow_negative_stock", tenant.allow_negative_stock)
    if not allow and tenant.allow_negative_stock:
        negative = (
            InventoryItem.objects.filter(tenant=tenant)
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
    InventoryItem.objects.filter(tenant=tenant).exclude(allow_negative=allow).update(
        allow_negative=allow
    )


def refuse_stocking_change_while_stocked(*, variant, fields: list[str]) -> None:
    """Refuse changing ``fields`` (unit, track_inventory, track_lots) of a variant with stock.

    Raises InvalidState (409 ``invalid_state``, one detail per field) when any
    of its items has on hand or reserved ≠ 0. SPEC §4.
    """
    stocked = (
        InventoryItem.objects.filter(tenant=variant.tenant_id, variant=variant)
        .exclude(on_hand=0, reserved=0)
        .exists()
    )
    if stocked:
        raise InvalidState(
            "Cannot change how a variant is stocked while it has stock; "
            "bring its stock to zero first.",
            code=ErrorCode.INVALID_STATE,
            details={field: ["Variant has stock."] for field in fields},
        )
