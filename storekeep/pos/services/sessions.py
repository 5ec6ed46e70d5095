"""Register sessions: open with a float, close with counted cash and a Z report (SPEC §5)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from storekeep.accounts.models import hash_token
from storekeep.core.db import lock_row, lock_rows, run_atomic
from storekeep.core.errors import (
    Conflict,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from storekeep.core.numbers import money
from storekeep.locations.models import Location
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import CashMovement, Register, RegisterSession
from storekeep.pos.selectors import z_report

ZERO = Decimal("0.00")
TOKEN_PREFIX = "rs"


def register_session_open(
    *, membership, register: Register, opening_float: Decimal = ZERO, opened_at=None
) -> tuple[RegisterSession, str]:
    """Open a session on ``register`` for the member; returns (session, raw token).

    ``opened_at`` (an aware datetime; default now) dates a historic session (imports).

    The raw token ``rs_<tenant_id>_<secret>`` is shown once; only its SHA-256 is
    stored. Errors: 403 ``permission_denied`` (not a till role: VIEWER, INTEGRATION; or the member
    is not assigned to the register's store), 422 ``location_not_a_store``,
    409 ``invalid_state`` (register inactive), 409 ``session_already_open``,
    400 ``invalid_amount`` (negative float).
    """
    _check_can_open(membership, register, opening_float)
    raw = f"{TOKEN_PREFIX}_{membership.tenant_id}_{secrets.token_urlsafe(32)}"
    session = run_atomic(
        lambda: _create_session(membership, register, raw, opening_float, opened_at),
        savepoint=True,
    )
    return session, raw


def _check_can_open(membership, register: Register, opening_float) -> None:
    """The member may open a session on this active STORE register, with a float ≥ 0."""
    tenant_id = membership.tenant_id
    if register.tenant_id != tenant_id:
        raise PermissionDenied("This register belongs to another tenant.")
    if not membership.works_till:
        raise PermissionDenied("Only cashiers, managers and owners can open a register session.")
    if not membership.can_access_location(register.location_id):
        raise PermissionDenied(
            "You are not assigned to this store.", details={"location_id": register.location_id}
        )
    if register.location.type != Location.Type.STORE:
        raise ValidationFailed(
            "Registers can only be used in a STORE location.",
            code=PosErrorCode.LOCATION_NOT_A_STORE,
            status_code=422,
        )
    if not register.is_active or not register.location.is_active:
        raise InvalidState("This register is not active.", details={"register_id": register.pk})
    if opening_float is None or opening_float < 0:
        raise ValidationFailed(
            "The opening float cannot be negative.", code=PosErrorCode.INVALID_AMOUNT
        )


def _create_session(membership, register, raw, opening_float, opened_at) -> RegisterSession:
    """Insert the OPEN session (409 ``session_already_open`` when the register has one)."""
    tenant_id = membership.tenant_id
    try:
        with transaction.atomic():
            return RegisterSession.objects.create(
                tenant_id=tenant_id,
                register=register,
                opened_by=membership.user,
                token_hash=hash_token(raw),
                opening_float=money(opening_float),
                opened_at=opened_at or timezone.now(),
            )
    except IntegrityError:
        open_session = (
            RegisterSession.objects.filter(
                tenant_id=tenant_id, register=register, status=RegisterSession.Status.OPEN
            )
            .values_list("pk", flat=True)
            .first()
        )
        raise Conflict(
            "This register already has an open session.",
            code=PosErrorCode.SESSION_ALREADY_OPEN,
            details={"register_id": register.pk, "session_id": open_session},
        ) from None


def register_session_token_reissue(*, membership, session_id: int) -> tuple[RegisterSession, str]:
    """A new raw token for the session ``membership`` opened; the earlier token stops working.

    Used when a session-open request is replayed (its first token is never stored,
    SPEC §10). The caller must still be allowed to open a session there: errors
    403 ``permission_denied`` (another cashier's session, not a till role, not
    assigned to the store), 404 ``not_found`` (no such session in the tenant).
    """
    tenant_id = membership.tenant_id
    raw = f"{TOKEN_PREFIX}_{tenant_id}_{secrets.token_urlsafe(32)}"

    def rotate():
        session = lock_row(
            RegisterSession.objects.select_related("register").filter(
                tenant_id=tenant_id, pk=session_id
            )
        )
        if session is None:
            raise NotFound("No such register session.")
        if session.opened_by_id != membership.user_id or not membership.works_till:
            raise PermissionDenied("This register session was opened by someone else.")
        if not membership.can_access_location(session.register.location_id):
            raise PermissionDenied(
                "You are not assigned to this store.",
                details={"location_id": session.register.location_id},
            )
        session.token_hash = hash_token(raw)
        session.save(update_fields=["token_hash"])
        return session

    return run_atomic(rotate, savepoint=True), raw


def register_session_close(
    *, session: RegisterSession, counted_cash: Decimal, actor, closed_at=None
) -> tuple[RegisterSession, dict]:
    """Close an OPEN session with the counted cash; returns (session, Z report).

    ``closed_at`` (an aware datetime; default now) dates a historic session (imports).

    Locks the register row (the parent every checkout of the register locks
    first, via its receipt counter) and then the session, so no sale of this
    session commits after the report is computed. Errors: 409
    ``session_closed`` when already closed, 400 ``invalid_amount``.
    """
    if counted_cash is None or counted_cash < 0:
        raise ValidationFailed("Counted cash cannot be negative.", code=PosErrorCode.INVALID_AMOUNT)

    def close():
        locked = _lock_open_session(session)
        if locked.status != RegisterSession.Status.OPEN:
            raise InvalidState(
                "This register session is already closed.",
                code=PosErrorCode.SESSION_CLOSED,
                details={"session_id": locked.pk},
            )
        report = z_report(tenant=locked.tenant_id, session=locked)
        locked.status = RegisterSession.Status.CLOSED
        locked.closed_at = closed_at or timezone.now()
        locked.closed_by = actor
        locked.counted_cash = money(counted_cash)
        locked.expected_cash = report["expected_cash"]
        locked.variance = locked.counted_cash - locked.expected_cash
        locked.save(
            update_fields=[
                "status",
                "closed_at",
                "closed_by",
                "counted_cash",
                "expected_cash",
                "variance",
                "updated_at",
            ]
        )
        report.update(
            status=locked.status,
            closed_at=locked.closed_at,
            counted_cash=locked.counted_cash,
            variance=locked.variance,
        )
        return locked, report

    return run_atomic(close, savepoint=True)


def _lock_open_session(session: RegisterSession) -> RegisterSession:
    """Lock the session's register row (parent first), then the session row; returns it."""
    lock_rows(
        Register.objects.filter(tenant_id=session.tenant_id, pk=session.register_id).values_list(
            "pk", flat=True
        )
    )
    locked = lock_row(
        RegisterSession.objects.select_related("register").filter(
            tenant_id=session.tenant_id, pk=session.pk
        )
    )
    if locked is None:
        raise RegisterSession.DoesNotExist
    return locked


def cash_movement_record(
    *, session: RegisterSession, direction: str, amount: Decimal, reason: str, actor
) -> CashMovement:
    """Record cash paid into (``IN``) or out of (``OUT``) the session's drawer; returns it.

    ``amount`` in the tenant currency, more than 0 with at most 2 decimals;
    ``reason`` non-blank (at most 255 characters). Locks the register row and the
    session as closing does, so a movement is in the Z report or refused.
    Errors: 400 ``invalid_amount``, 400 ``validation_error`` (direction, reason),
    409 ``session_closed``. The expected cash counts it (issue 12 item 6).
    """
    if direction not in CashMovement.Direction.values:
        raise ValidationFailed(
            "direction must be IN or OUT.", details={"direction": [str(direction)]}
        )
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(Decimal("0.01"))
        or amount >= Decimal("1e10")
    ):
        raise ValidationFailed(
            "The amount must be more than 0 with at most 2 decimals.",
            code=PosErrorCode.INVALID_AMOUNT,
            details={"amount": [str(amount)]},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason.", details={"reason": ["Required."]})

    def record() -> CashMovement:
        locked = _lock_open_session(session)
        if locked.status != RegisterSession.Status.OPEN:
            raise InvalidState(
                "This register session is closed.",
                code=PosErrorCode.SESSION_CLOSED,
                details={"session_id": locked.pk},
            )
        return CashMovement.objects.create(
            tenant_id=locked.tenant_id,
            register_session=locked,
            direction=direction,
            amount=amount,
            reason=reason[:255],
            created_by=actor,
        )

    return run_atomic(record, savepoint=True)
