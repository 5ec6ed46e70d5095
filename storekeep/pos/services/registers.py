"""Registers (tills) of a store: create and update (SPEC §5)."""

from __future__ import annotations

from storekeep.core.errors import Conflict, ErrorCode, ValidationFailed
from storekeep.core.selectors import get_object
from storekeep.locations.models import Location
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import Register

#: Fields a caller may set on a register (the rest are kept by the services).
REGISTER_FIELDS = ("code", "name", "is_active")


def register_store(*, tenant, location_id) -> Location:
    """The tenant's location that will hold a register.

    Errors: 404 ``not_found`` (unknown or another tenant's id), 422
    ``location_not_a_store`` (registers belong to STORE locations, SPEC §5).
    """
    location = get_object(Location.objects.filter(tenant=tenant), location_id)
    if location.type != Location.Type.STORE:
        raise ValidationFailed(
            "Registers belong to STORE locations.",
            code=PosErrorCode.LOCATION_NOT_A_STORE,
            status_code=422,
            details={"location_id": location.pk},
        )
    return location


def _check_unique_code(tenant, location: Location, code: str, exclude: Register | None = None):
    clash = Register.objects.filter(tenant=tenant, location=location, code=code)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise Conflict(
            "This store already has a register with that code.",
            code=ErrorCode.DUPLICATE,
            details={"code": [code]},
        )


def register_create(*, tenant, location: Location, fields: dict) -> Register:
    """A register at ``location`` (from :func:`register_store`) with ``fields``
    (``code``, ``name``, ``is_active``). A code already used in that store: 409 ``duplicate``."""
    _check_unique_code(tenant, location, fields["code"])
    values = {name: fields[name] for name in REGISTER_FIELDS if name in fields}
    return Register.objects.create(tenant=tenant, location_id=location.pk, **values)


def register_update(*, tenant, register: Register, location: Location, fields: dict) -> Register:
    """Move ``register`` to ``location`` and apply ``fields``; a clash of its code in that store:
    409 ``duplicate``."""
    _check_unique_code(tenant, location, fields.get("code", register.code), exclude=register)
    for name in REGISTER_FIELDS:
        if name in fields:
            setattr(register, name, fields[name])
    register.location_id = location.pk
    register.save()
    return register
