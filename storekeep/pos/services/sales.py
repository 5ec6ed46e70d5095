"""Who may record which sale, and voiding a sale (SPEC §5): stock goes back with VOID rows,
exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from storekeep.catalog.models import Variant
from storekeep.core.db import lock_row, run_atomic
from storekeep.core.errors import InvalidState, NotFound, PermissionDenied
from storekeep.inventory.services.stock import StockLine, record_void
from storekeep.pos import events
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.models import RegisterSession, Return, Sale, SaleLine
from storekeep.tenants.models import Role

from .approvals import Approval, approve, approved_reason, void_needs_approval
from .checkout import CheckoutResult, checkout
from .pricing import CartLine


def checkout_source(
    *, membership, requested: str | None, at_till: bool, location_id: int | None = None
) -> str:
    """The ``source`` a checkout records, or a refusal (SPEC §5 "Till controls", issue 12 item 4).

    At the till (a register token) always ``POS``. Elsewhere (a bearer token) a sale is
    recorded only by a MANAGER/OWNER or an INTEGRATION member, at ``location_id`` (the sale's
    store) when they are assigned to it: a CASHIER sells only through an open register session
    (403 ``register_session_required``), a VIEWER not at all (403 ``permission_denied``), and
    a store the member is not assigned to is 403 ``permission_denied``. The source is the
    requested one, ``API`` by default; any other (``POS``, ``IMPORT``, ``ADMIN``) needs a
    MANAGER (403 ``permission_denied``).
    """
    if at_till:
        return Sale.Source.POS
    if membership.role == Role.CASHIER:
        raise PermissionDenied(
            "A cashier sells through an open register session (Authorization: Register <token>).",
            code=PosErrorCode.REGISTER_SESSION_REQUIRED,
        )
    if not (membership.role == Role.INTEGRATION or membership.has_role(Role.MANAGER)):
        raise PermissionDenied("Recording sales needs a manager or an integration account.")
    if location_id is not None and not membership.can_access_location(location_id):
        raise PermissionDenied(
            "You are not assigned to this location.", details={"location_id": location_id}
        )
    source = requested or Sale.Source.API
    if source != Sale.Source.API and not membership.has_role(Role.MANAGER):
        raise PermissionDenied(f"Recording {source} sales needs a manager.")
    return source


def sale_record_by_sku(
    *,
    tenant,
    location,
    lines: Sequence[tuple[str, Decimal, Decimal | None]],
    actor=None,
    source: str = Sale.Source.ADMIN,
    external_ref: str = "",
    customer_ref: str = "",
) -> CheckoutResult:
    """Record a sale given as ``(SKU, qty, unit_price or None)`` lines through :func:`checkout`.

    For back-office entry (the admin's sale form): prices may be overridden.
    Errors: 404 ``unknown_variant`` with ``details = {"skus": [...]}`` for SKUs
    the tenant does not have; then whatever ``checkout`` raises.
    """
    variants = {
        v.sku: v
        for v in Variant.objects.filter(
            tenant=tenant, sku__in=[sku for sku, _, _ in lines]
        ).select_related("product__tax_category")
    }
    missing = [sku for sku, _, _ in lines if sku not in variants]
    if missing:
        raise NotFound(
            f"Unknown SKU(s): {', '.join(missing)}",
            code=PosErrorCode.UNKNOWN_VARIANT,
            details={"skus": missing},
        )
    return checkout(
        tenant=tenant,
        location=location,
        source=source,
        actor=actor,
        external_ref=external_ref,
        customer_ref=customer_ref,
        lines=[
            CartLine(variant=variants[sku], qty=qty, unit_price=price) for sku, qty, price in lines
        ],
    )


def sale_void(
    *,
    tenant,
    sale_id: int,
    actor=None,
    register_session: RegisterSession | None = None,
    occurred_at: datetime | None = None,
    reason: str = "",
    membership=None,
    approval: Approval | None = None,
) -> tuple[Sale, bool]:
    """Void a COMPLETED sale; returns (sale, applied).

    ``reason`` (at most 255 characters, stripped) is stored on the sale
    (``void_reason``) and written as the note of its VOID ledger rows (issue 12).
    ``membership``: who voids; a CASHIER's void needs a manager's ``approval``
    while the tenant's ``cashier_void_requires_approval`` (403
    ``approval_required`` / ``approval_invalid``, then 400 ``reason_required``;
    `approvals`), the approver stored as ``void_approved_by``.

    Locks the sale row first (parent document), so concurrent or repeated
    voids apply once: a sale already VOIDED comes back with ``applied=False``
    and nothing written. A till sale can be voided only while its session is
    open and, when ``register_session`` is given (a register-token call), only
    from that session. Stock returns through the engine (VOID rows, at the cost
    the goods left with). Errors: 404 ``not_found``; 409 ``sale_not_voidable``
    (another session, session closed, or the sale has finalized returns).
    SPEC §3.8, §5.
    """

    def void() -> tuple[Sale, bool]:
        sale = lock_row(
            Sale.objects.select_related("register_session").filter(tenant=tenant, pk=sale_id)
        )
        if sale is None:
            raise NotFound("Sale not found.", details={"sale_id": sale_id})
        if sale.status == Sale.Status.VOIDED:
            return sale, False
        _check_voidable(tenant, sale, register_session)
        sale.void_reason = (reason or "").strip()[:255]
        if void_needs_approval(tenant=tenant, membership=membership):
            approved = approve(
                tenant=tenant,
                approval=approval,
                location_id=sale.location_id,
                action=f"void:{sale.pk}",
            )
            sale.void_approved_by = approved.approver
            sale.void_reason = approved_reason(reason, approved)
        _apply_void(tenant, sale, actor, occurred_at)
        return sale, True

    return run_atomic(void, savepoint=True)


def _apply_void(tenant, sale: Sale, actor, occurred_at) -> None:
    """Put the sale's lines back (VOID rows noted with the reason) and mark it VOIDED."""
    lines = list(SaleLine.objects.filter(tenant=tenant, sale=sale).order_by("line_no"))
    record_void(
        tenant=tenant,
        location_id=sale.location_id,
        lines=[
            StockLine(variant_id=line.variant_id, qty=line.qty, unit_cost=line.unit_cost)
            for line in lines
        ],
        ref_id=str(sale.pk),
        actor=actor,
        occurred_at=occurred_at,
        note=void_note(sale),
    )
    sale.status = Sale.Status.VOIDED
    sale.voided_at = occurred_at or timezone.now()
    sale.voided_by = actor
    sale.save(
        update_fields=[
            "status",
            "voided_at",
            "voided_by",
            "void_reason",
            "void_approved_by",
            "updated_at",
        ]
    )
    events.sale_voided(tenant, sale, lines)


def void_note(sale: Sale) -> str:
    """The ledger note of a void: its reason and, when a manager approved it, who."""
    parts = [f"Void: {sale.void_reason}" if sale.void_reason else "Void"]
    if sale.void_approved_by is not None:
        parts.append(f"approved by {sale.void_approved_by.get_username()}")
    return "; ".join(parts)


def _check_voidable(tenant, sale: Sale, register_session) -> None:
    """409 ``sale_not_voidable``: a sale of another session (for a register-token call),
    of a closed session, or with finalized returns."""
    if register_session is not None and sale.register_session_id != register_session.pk:
        raise InvalidState(
            "Only sales of the current register session can be voided here.",
            code=PosErrorCode.SALE_NOT_VOIDABLE,
            details={"sale_id": sale.pk, "session_id": sale.register_session_id},
        )
    if (
        sale.register_session is not None
        and sale.register_session.status != RegisterSession.Status.OPEN
    ):
        raise InvalidState(
            "The sale's register session is closed; make a return instead.",
            code=PosErrorCode.SALE_NOT_VOIDABLE,
            details={"sale_id": sale.pk, "session_id": sale.register_session_id},
        )
    if Return.objects.filter(tenant=tenant, sale=sale, status=Return.Status.FINALIZED).exists():
        raise InvalidState(
            "A sale with returns cannot be voided.",
            code=PosErrorCode.SALE_NOT_VOIDABLE,
            details={"sale_id": sale.pk},
        )
