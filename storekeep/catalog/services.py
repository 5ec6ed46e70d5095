"""Catalog writes with a rule of their own (STYLE: services; SPEC §2, §7)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from storekeep.core.errors import Conflict, ErrorCode

from .hooks import variant_stocking_changing
from .models import Variant

#: How a variant is stocked: none of these may change while it has stock (SPEC §7).
STOCKING_FIELDS = ("track_lots", "track_inventory", "unit")


def variant_update(*, tenant, variant: Variant, changes: dict) -> Variant:
    """Apply ``changes`` (field name → validated value) to a variant of ``tenant`` and save it.

    How a variant is stocked (``track_lots``, ``track_inventory``, ``unit``)
    cannot change while it has stock: the changing fields go to the
    ``variant_stocking_changing`` hook, where inventory refuses with 409
    ``invalid_state`` (``details = {field: ["Variant has stock."]}``, SPEC §4).
    A unique clash racing past validation is 409 ``duplicate``.
    """
    changing = [
        name
        for name in STOCKING_FIELDS
        if name in changes and changes[name] != getattr(variant, name)
    ]
    if changing:
        variant_stocking_changing(variant=variant, fields=changing)
    for name, value in changes.items():
        setattr(variant, name, value)
    try:
        with transaction.atomic():
            variant.save()
    except IntegrityError as exc:
        if "unique" in str(exc).lower():
            raise Conflict(
                "This would duplicate an existing row.", code=ErrorCode.DUPLICATE
            ) from None
        raise Conflict("The change conflicts with existing data.") from None
    return variant
