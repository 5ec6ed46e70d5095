"""Manager approval at the till (issue 12 item 3, SPEC §5 "Till controls").

A CASHIER may not alone: void a sale (when the tenant's
``cashier_void_requires_approval``), return goods without a receipt or outside
the return window, refund more than the tenant's ``cashier_refund_limit``, or
give a discount (line or order, as a percent of the price) above the tenant's
``max_cashier_discount_percent``. Such a request is refused with 403
``approval_required`` unless it carries a manager's approval:

* ``approval: {"username", "password"}`` of an active MANAGER or OWNER of the
  tenant assigned to the store — the password goes through the login throttle
  (`storekeep.accounts.throttle.check_credentials`: failures count, 429 while
  locked out), checked by :func:`approval_from_credentials`; or
* ``approval_token`` from :func:`approval_token_issue` (``POST
  /api/v1/pos/approvals``): single use, valid ``APPROVAL_TTL``, bound to the
  tenant and, when issued for one, to a store; only its SHA-256 is stored. It is
  consumed by :func:`approve` inside the action's own transaction (row locked),
  so it approves exactly one action, and a refused action does not use it up.

MANAGER and OWNER callers need no approval; calls without a membership
(importers, the admin) follow the older rules. An approved action needs a
reason (400 ``reason_required``): the request's, else the token's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from storekeep.accounts.models import hash_token
from storekeep.accounts.throttle import check_credentials
from storekeep.core.db import lock_row, run_atomic
from storekeep.core.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import ApprovalToken
from storekeep.tenants.models import Membership, Role

APPROVAL_TTL = timedelta(minutes=5)
TOKEN_PREFIX = "ap"
HUNDRED = Decimal("100")
APPROVER_ROLES = (Role.MANAGER, Role.OWNER)


@dataclass(frozen=True)
class Approval:
    """The approval a request carries: a manager already checked by
    :func:`approval_from_credentials`, or a raw approval token to consume."""

    approver: object | None = None
    token: str | None = None


@dataclass(frozen=True)
class Approved:
    """An approval given: the approving manager and the token's reason (``""`` if none)."""

    approver: object
    reason: str = ""


def needs_approval(membership) -> bool:
    """True for a CASHIER member; managers, owners and calls without a member need none."""
    return membership is not None and membership.role == Role.CASHIER


def void_needs_approval(*, tenant, membership) -> bool:
    """A cashier's void needs approval while the tenant's ``cashier_void_requires_approval``."""
    return needs_approval(membership) and bool(tenant.cashier_void_requires_approval)


def refund_over_limit(*, tenant, membership, refund_total: Decimal) -> bool:
    """A cashier's refund above the tenant's ``cashier_refund_limit`` (None: no limit)."""
    limit = tenant.cashier_refund_limit
    return needs_approval(membership) and limit is not None and refund_total > limit


def discount_lines_over_limit(
    *, tenant, membership, lines, receipt, order_discount_percent=None, order_discount_amount=None
) -> list[int]:
    """Indexes of the cart lines whose discount exceeds the cashier's limit.

    A line's discount, as a percent of its price, combines its own discount and
    the order discount: ``1 − (1 − line %)(1 − order %)``, from the amounts asked
    (an amount as a share of the line's gross, an order amount as a share of the
    lines' net after line discounts), so rounding of the allocation never tips
    a line over. ``lines``: the `CartLine`s; ``receipt``: their priced receipt.
    """
    if not needs_approval(membership):
        return []
    limit = Decimal(tenant.max_cashier_discount_percent or 0) / HUNDRED
    order = _share(order_discount_percent, order_discount_amount, _after_line_discounts(receipt))
    over = []
    for index, (line, priced) in enumerate(zip(lines, receipt.lines, strict=True)):
        own = _share(line.discount_percent, line.discount_amount, priced.gross)
        if 1 - (1 - own) * (1 - order) > limit:
            over.append(index)
    return over


def _after_line_discounts(receipt) -> Decimal:
    return sum((line.gross - line.line_discount for line in receipt.lines), Decimal("0"))


def _share(percent, amount, base: Decimal) -> Decimal:
    """A discount as a fraction of ``base``: ``percent`` / 100, or ``amount`` / base."""
    if percent is not None:
        return Decimal(percent) / HUNDRED
    if amount is not None and amount > 0:
        return Decimal(amount) / base if base > 0 else Decimal("1")
    return Decimal("0")


def approval_from_credentials(
    *, request, tenant, location_id: int, username: str, password: str
) -> Approval:
    """A manager's approval from their username and password, checked now.

    The password check is the sign-in's (`check_credentials`): 429
    ``too_many_attempts`` while the username or address is locked out, each
    failure counted. Errors: 403 ``approval_invalid`` (wrong username or
    password, or not an active MANAGER/OWNER of this tenant assigned to
    ``location_id``).
    """
    try:
        user = check_credentials(request=request, username=username, password=password)
    except NotAuthenticated:
        raise _invalid("The manager's username or password is wrong.") from None
    _check_approver(tenant, user, location_id)
    return Approval(approver=user)


def _check_approver(tenant, user, location_id) -> None:
    """403 ``approval_invalid`` unless ``user`` is an active MANAGER/OWNER of the store."""
    membership = (
        Membership.objects.filter(tenant=tenant, user=user, is_active=True)
        .select_related("user")
        .first()
    )
    if (
        membership is None
        or not user.is_active
        or membership.role not in APPROVER_ROLES
        or (location_id is not None and not membership.can_access_location(location_id))
    ):
        raise _invalid("Only an active manager or owner of this store can approve.")


def _invalid(message: str, **details) -> PermissionDenied:
    return PermissionDenied(message, code=PosErrorCode.APPROVAL_INVALID, details=details)


def approval_required(action: str, **details) -> PermissionDenied:
    """The 403 ``approval_required`` refusal of ``action`` (``void``, ``return``, ``discount``)."""
    return PermissionDenied(
        "A manager's approval is needed for this.",
        code=PosErrorCode.APPROVAL_REQUIRED,
        details={"action": action, **details},
    )


def approve(*, tenant, approval: Approval | None, location_id, action: str, **details) -> Approved:
    """The approval of ``action`` at ``location_id``; call inside the action's transaction.

    Without an approval: 403 ``approval_required`` (``details``: ``action`` and
    the given ``details``). A token is locked, checked (this tenant, unused,
    unexpired, its store if it names one, its issuer still a manager there) and
    marked used for ``action``: 403 ``approval_invalid`` otherwise. Concurrent
    uses of one token wait on its row lock; exactly one approves.
    """
    if approval is None or (approval.approver is None and not approval.token):
        raise approval_required(action, **details)
    if approval.approver is not None:
        return Approved(approver=approval.approver)
    token = lock_row(
        ApprovalToken.objects.select_related("issued_by").filter(
            tenant=tenant, token_hash=hash_token(approval.token)
        )
    )
    if token is None:
        raise _invalid("This approval token is not valid here.")
    if token.used_at is not None:
        raise _invalid("This approval token was already used.", used_for=token.used_for)
    if token.expires_at <= timezone.now():
        raise _invalid("This approval token has expired.")
    if token.location_id is not None and token.location_id != location_id:
        raise _invalid("This approval token is for another store.")
    _check_approver(tenant, token.issued_by, location_id)
    token.used_at = timezone.now()
    token.used_for = action[:64]
    token.save(update_fields=["used_at", "used_for", "updated_at"])
    return Approved(approver=token.issued_by, reason=token.reason)


def approved_reason(reason: str, approved: Approved) -> str:
    """The reason of an approved action: the request's, else the token's; 400
    ``reason_required`` when neither gives one."""
    text = (reason or "").strip() or approved.reason.strip()
    if not text:
        raise ValidationFailed(
            "Give the reason the manager approves.",
            code=PosErrorCode.REASON_REQUIRED,
            details={"reason": ["Required."]},
        )
    return text[:255]


def approval_token_issue(
    *, membership, location=None, reason: str = ""
) -> tuple[ApprovalToken, str]:
    """Issue a single-use approval token; returns (token row, raw token shown once).

    ``membership``: an active MANAGER or OWNER (403 ``permission_denied``
    otherwise); ``location``: the store it is bound to (None: any of the
    issuer's stores; 403 when the issuer is not assigned to it); ``reason``: the
    reason used when the approved request gives none. Valid ``APPROVAL_TTL``.
    """
    if membership.role not in APPROVER_ROLES:
        raise PermissionDenied("Only a manager or owner can issue an approval.")
    if location is not None and not membership.can_access_location(location.pk):
        raise PermissionDenied(
            "You are not assigned to this store.", details={"location_id": location.pk}
        )
    raw = f"{TOKEN_PREFIX}_{membership.tenant_id}_{secrets.token_urlsafe(32)}"
    token = ApprovalToken.objects.create(
        tenant_id=membership.tenant_id,
        token_hash=hash_token(raw),
        issued_by=membership.user,
        location=location,
        reason=(reason or "").strip()[:255],
        expires_at=timezone.now() + APPROVAL_TTL,
    )
    return token, raw


def approval_token_reissue(*, membership, approval_id: int) -> tuple[ApprovalToken, str]:
    """A replayed issue (same Idempotency-Key): the earlier token, if unused, is spent and a
    new one with the same store and reason is issued (raw tokens are never stored)."""

    def reissue():
        earlier = lock_row(
            ApprovalToken.objects.select_related("location").filter(
                tenant_id=membership.tenant_id, pk=approval_id
            )
        )
        if earlier is not None and earlier.used_at is None:
            earlier.used_at = timezone.now()
            earlier.used_for = "reissued"
            earlier.save(update_fields=["used_at", "used_for", "updated_at"])
        return approval_token_issue(
            membership=membership,
            location=earlier.location if earlier is not None else None,
            reason=earlier.reason if earlier is not None else "",
        )

    return run_atomic(reissue, savepoint=True)
