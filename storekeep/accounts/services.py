"""Staff management: the people of a tenant, their roles, stores and passwords (issue 12 item 1).

Who may manage whom (:func:`grantable_roles`, :func:`check_can_manage`):

- an OWNER manages everyone and may give any role;
- a MANAGER manages CASHIER and VIEWER members only and may give only those roles;
- nobody raises anyone above their own role; the tenant always keeps an active OWNER;
- a member assigned to some stores manages only people whose stores are all among
  theirs, and gives only stores among theirs (never "every location");
- a person who also belongs to another tenant, or who is a platform operator
  (``is_staff``/``is_superuser``), keeps their name, email and password: those
  are the person's, not this tenant's, so only this membership's role, stores
  and activity change here.

Refusals are 403 ``permission_denied``. Every change writes one row of the
membership's history (django-simple-history: who, when, the membership's
fields and stores at that moment, and a note for the person's own fields), which
:func:`storekeep.accounts.selectors.staff_history` reads back.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from storekeep.core.db import atomic_with_retry, lock_rows
from storekeep.core.errors import (
    Conflict,
    ErrorCode,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from storekeep.tenants.models import Membership, Role

from .error_codes import AccountsErrorCode
from .models import ApiToken

#: Roles a MANAGER may give and the members a MANAGER may manage.
MANAGER_MANAGES = (Role.CASHIER, Role.VIEWER)
NAME_MAX = 150


def grantable_roles(actor: Membership) -> list[str]:
    """The roles ``actor`` may give, highest first (empty below MANAGER and for INTEGRATION)."""
    if actor.role == Role.OWNER:
        return list(Role.values)
    if actor.role == Role.MANAGER:
        return list(MANAGER_MANAGES)
    return []


def check_can_manage(actor: Membership, *, role: str, location_ids: Iterable[int]) -> None:
    """403 ``permission_denied`` unless ``actor`` may manage a member with ``role`` working at
    ``location_ids`` (empty: every location). Used for the member as it is and as it will be."""
    if role not in grantable_roles(actor):
        raise PermissionDenied(
            f"A {actor.role.lower()} cannot manage or appoint {role.lower()} members.",
            details={"role": role},
        )
    allowed = actor.allowed_location_ids()
    ids = set(location_ids)
    if allowed is not None and (not ids or not ids <= allowed):
        raise PermissionDenied(
            "You can only manage people who work at your own stores.",
            details={"location_ids": sorted(ids), "your_location_ids": sorted(allowed)},
        )


def _clean_role(role) -> str:
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role {role!r}.", details={"role": [f"One of {', '.join(Role.values)}."]}
        )
    return role


def _clean_location_ids(tenant, location_ids) -> list[int]:
    """The ids, deduplicated, when each is one of the tenant's locations; else 400."""
    try:
        ids = sorted({int(pk) for pk in location_ids})
    except (TypeError, ValueError):
        raise ValidationFailed(
            "location_ids must be a list of location ids.", details={"location_ids": ["Invalid."]}
        ) from None
    location_model = Membership._meta.get_field("locations").related_model
    known = set(
        location_model.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", flat=True)
    )
    unknown = [pk for pk in ids if pk not in known]
    if unknown:
        raise ValidationFailed(
            "Unknown location(s) for this tenant.",
            details={"location_ids": [f"Unknown location id {pk}." for pk in unknown]},
        )
    return ids


def _clean_name(name: str) -> tuple[str, str]:
    """``(first_name, last_name)``: the first word and the rest (get_full_name joins them back)."""
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            "The name is too long.", details={"name": [f"At most {NAME_MAX} characters."]}
        )
    first, _, last = name.partition(" ")
    return first, last


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                "Enter a valid email address.", details={"email": ["Invalid email address."]}
            ) from None
    return email


def _check_password(password: str, user) -> None:
    """400 ``password_rejected`` with the validators' messages (``AUTH_PASSWORD_VALIDATORS``)."""
    if not password:
        raise ValidationFailed(
            "A password is required.",
            code=AccountsErrorCode.PASSWORD_REJECTED,
            details={"password": ["Required."]},
        )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            "This password is not accepted: " + " ".join(exc.messages),
            code=AccountsErrorCode.PASSWORD_REJECTED,
            details={"password": list(exc.messages)},
        ) from None


def _clean_username(username: str) -> str:
    user_model = get_user_model()
    username = (username or "").strip()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:
        field.run_validators(username)
        if not username:
            raise ValidationError("Required.")
    except ValidationError as exc:
        raise ValidationFailed(
            "Invalid username.", details={"username": list(exc.messages)}
        ) from None
    if user_model.objects.filter(username__iexact=username).exists():
        raise _username_taken(username)
    return username


def _username_taken(username: str) -> Conflict:
    return Conflict(
        f"The username {username!r} is already taken.",
        code=ErrorCode.DUPLICATE,
        details={"username": username},
    )


def _record(member: Membership, actor: Membership, note: str) -> None:
    """Save ``member`` writing one history row: by ``actor``, with ``note`` (≤ 100 chars)."""
    member._history_user = actor.user
    member._change_reason = note[:100]
    member.save()


def _set_locations(member: Membership, ids: list[int]) -> None:
    """Replace the stores without a history row of their own (the next save records them)."""
    member.skip_history_when_saving = True
    try:
        member.locations.set(ids)
    finally:
        del member.skip_history_when_saving
    member._allowed_location_ids = set(ids) or None


@atomic_with_retry
def staff_create(
    *,
    tenant,
    actor: Membership,
    username: str,
    password: str,
    role: str,
    name: str = "",
    email: str = "",
    location_ids: Iterable[int] = (),
) -> Membership:
    """Add a person to ``tenant``: a new login ``username`` with ``password``, ``role`` and
    ``location_ids`` (the tenant's location ids; empty = every location). Returns the membership.

    Errors: 400 ``validation_error`` (unknown role or location, bad username, name or email),
    400 ``password_rejected`` (Django's password validators), 403 ``permission_denied``
    (``actor`` may not appoint that role or those stores, see :func:`check_can_manage`),
    409 ``duplicate`` (the username exists, in any tenant: logins are global). Issue 12 item 1.
    """
    role = _clean_role(role)
    ids = _clean_location_ids(tenant, location_ids)
    check_can_manage(actor, role=role, location_ids=ids)
    first, last = _clean_name(name)
    user = get_user_model()(
        username=_clean_username(username),
        first_name=first,
        last_name=last,
        email=_clean_email(email),
    )
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _username_taken(user.username) from None
    member = Membership(tenant=tenant, user=user, role=role)
    member.save_without_historical_record()
    _set_locations(member, ids)
    _record_created(member, actor)
    return member


def _record_created(member: Membership, actor: Membership) -> None:
    """The membership's first history row ("+", note "added") with the stores it was given.

    Written once the stores are set, so the row shows the member as created (simple-history's
    own post-save row would come before the stores, then a second row for them)."""
    (record,) = Membership.history.bulk_history_create(
        [member], default_user=actor.user, default_change_reason="added"
    )
    m2m_model = record_locations_model()
    through = Membership.locations.through.objects.filter(membership_id=member.pk)
    m2m_model.objects.bulk_create(
        m2m_model(
            history=record, id=row.pk, membership_id=row.membership_id, location_id=row.location_id
        )
        for row in through.order_by("pk")
    )


def record_locations_model():
    """The history table of a membership's stores (one row per store per history row)."""
    return Membership.history.model.__dict__["locations"].model


def _lock_member(tenant, membership_id) -> Membership:
    """Lock the member and the tenant's active owners (one ordered query, so two owners
    demoting each other at once cannot both succeed); 404 for another tenant's id."""
    try:
        membership_id = int(membership_id)
    except (TypeError, ValueError):
        raise NotFound("Staff member not found.", details={"id": str(membership_id)}) from None
    rows = lock_rows(
        Membership.objects.select_related("user").filter(
            Q(pk=membership_id) | Q(role=Role.OWNER, is_active=True), tenant=tenant
        )
    )
    member = next((row for row in rows if row.pk == membership_id), None)
    if member is None:
        raise NotFound("Staff member not found.", details={"id": str(membership_id)})
    member.active_owner_ids = {row.pk for row in rows if row.role == Role.OWNER and row.is_active}
    return member


def _check_keeps_an_owner(member: Membership, *, role: str, is_active: bool) -> None:
    """403 ``permission_denied`` when the change would leave the tenant without an active OWNER."""
    stays_owner = role == Role.OWNER and is_active
    if (
        member.pk in member.active_owner_ids
        and not stays_owner
        and len(member.active_owner_ids) == 1
    ):
        raise PermissionDenied(
            "This is the last active owner: appoint another owner first.",
            details={"reason": "last_owner"},
        )


def _check_own_person(member: Membership) -> None:
    """403 when the login is not this tenant's alone (a member elsewhere, or a platform operator):
    its name, email and password are not this tenant's to change."""
    user = member.user
    if user.is_staff or user.is_superuser:
        raise PermissionDenied(
            "This login is a platform operator's; only its role and stores here can change.",
            details={"reason": "shared_login"},
        )
    if Membership.objects.filter(user_id=user.pk).exclude(tenant_id=member.tenant_id).exists():
        raise PermissionDenied(
            "This person also works for another business; only their role, stores and access "
            "here can change.",
            details={"reason": "shared_login"},
        )


@atomic_with_retry
def staff_update(
    *,
    tenant,
    actor: Membership,
    membership_id: int,
    role: str | None = None,
    location_ids: Iterable[int] | None = None,
    is_active: bool | None = None,
    name: str | None = None,
    email: str | None = None,
) -> Membership:
    """Change a member's ``role``, stores (``location_ids``, the tenant's ids; empty = every
    location), ``is_active``, or the person's ``name``/``email``; None leaves a field as it is.

    Deactivating revokes the member's bearer tokens (``ApiToken.revoked_at``), so they stay
    revoked if the member is reactivated; the authentication classes already refuse an inactive
    member's bearer and register tokens (401) from that moment. One history row per call that
    changes something (none when nothing changes). Errors: 404 ``not_found`` (not this tenant's
    member), 400 ``validation_error``, 403 ``permission_denied`` (``actor`` may not manage this
    member or give this role or these stores, the last active OWNER would go, or the person's
    own fields belong to a login shared with another tenant). Issue 12 item 1.
    """
    member = _lock_member(tenant, membership_id)
    old_ids = sorted(member.allowed_location_ids() or ())
    check_can_manage(actor, role=member.role, location_ids=old_ids)
    new_role = member.role if role is None else _clean_role(role)
    new_ids = old_ids if location_ids is None else _clean_location_ids(tenant, location_ids)
    check_can_manage(actor, role=new_role, location_ids=new_ids)
    new_active = member.is_active if is_active is None else bool(is_active)
    _check_keeps_an_owner(member, role=new_role, is_active=new_active)
    notes = _update_person(member, name=name, email=email)
    changed = bool(notes) or (new_role, new_ids, new_active) != (
        member.role,
        old_ids,
        member.is_active,
    )
    if not changed:
        return member
    if new_ids != old_ids:
        _set_locations(member, new_ids)
    if member.is_active and not new_active:
        _revoke_tokens(member)
        notes.append("deactivated")
    elif new_active and not member.is_active:
        notes.append("reactivated")
    member.role, member.is_active = new_role, new_active
    _record(member, actor, ", ".join(notes) or "changed")
    return member


def _update_person(member: Membership, *, name: str | None, email: str | None) -> list[str]:
    """Save the person's new name/email (if they differ); returns notes for the history row."""
    user, notes, fields = member.user, [], []
    if name is not None:
        first, last = _clean_name(name)
        if (first, last) != (user.first_name, user.last_name):
            user.first_name, user.last_name = first, last
            fields += ["first_name", "last_name"]
            notes.append("name changed")
    if email is not None:
        email = _clean_email(email)
        if email != user.email:
            user.email = email
            fields.append("email")
            notes.append("email changed")
    if fields:
        _check_own_person(member)
        user.save(update_fields=fields)
    return notes


def _revoke_tokens(member: Membership) -> int:
    return ApiToken.objects.filter(membership=member, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@atomic_with_retry
def staff_set_password(
    *, tenant, actor: Membership, membership_id: int, password: str
) -> Membership:
    """Give the member's login a new ``password``; every bearer token of that login is revoked
    (``accounts.signals``), so the person signs in again. Writes a history row ("password set").

    Errors: 404 ``not_found``, 400 ``password_rejected`` (Django's password validators),
    403 ``permission_denied`` (``actor`` may not manage this member, or the login is shared with
    another tenant or is a platform operator's). Issue 12 item 1.
    """
    member = _lock_member(tenant, membership_id)
    check_can_manage(actor, role=member.role, location_ids=member.allowed_location_ids() or ())
    _check_own_person(member)
    _check_password(password, member.user)
    member.user.set_password(password)
    member.user.save()
    _record(member, actor, "password set")
    return member
