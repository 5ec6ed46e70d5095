"""Registers, sessions, sales, payments and returns (SPEC §2, §5)."""

import contextlib
import contextvars
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from storekeep.catalog.models import MONEY, QTY, UNIT_MONEY
from storekeep.core.models import TenantScopedModel
from storekeep.inventory.models.stock import OneWritePathError

ZERO = Decimal("0")

# Set only by storekeep.pos.services while it records sales: a sale exists only with the
# stock movement written in the same transaction (SPEC §3.1, issue 12 item 7).
SALE_WRITE = contextvars.ContextVar("storekeep_sale_write", default=False)


@contextlib.contextmanager
def sale_write():
    """Let the POS services create ``Sale`` and ``SaleLine`` rows inside this block."""
    token = SALE_WRITE.set(True)
    try:
        yield
    finally:
        SALE_WRITE.reset(token)


def _refuse_new_sale_rows(model) -> None:
    if not SALE_WRITE.get():
        raise OneWritePathError(
            f"{model.__name__} rows are created only by storekeep.pos.services "
            "(checkout writes the sale and its stock movement together)"
        )


class SaleRowQuerySet(models.QuerySet):
    """``bulk_create`` of sales or sale lines outside the POS services raises OneWritePathError."""

    def bulk_create(self, objs, *args, **kwargs):
        _refuse_new_sale_rows(self.model)
        return super().bulk_create(objs, *args, **kwargs)


class Register(TenantScopedModel):
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="registers", db_index=False
    )
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    receipt_counter = models.PositiveBigIntegerField(default=0)

    history = HistoricalRecords(excluded_fields=["receipt_counter"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "location", "code"], name="register_tenant_loc_code_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class RegisterSession(TenantScopedModel):
    class Status(models.TextChoices):
        OPEN = "OPEN"
        CLOSED = "CLOSED"

    register = models.ForeignKey(
        Register, on_delete=models.PROTECT, related_name="sessions", db_index=False
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    token_hash = models.CharField(max_length=64)
    opening_float = models.DecimalField(**MONEY, default=ZERO)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_cash = models.DecimalField(**MONEY, null=True, blank=True)
    expected_cash = models.DecimalField(**MONEY, null=True, blank=True)
    variance = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "register"],
                condition=Q(status="OPEN"),
                name="registersession_one_open",
            ),
            models.UniqueConstraint(
                fields=["tenant", "token_hash"], name="registersession_token_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Session #{self.pk} on {self.register_id} ({self.status})"


class Sale(TenantScopedModel):
    class Status(models.TextChoices):
        COMPLETED = "COMPLETED"
        VOIDED = "VOIDED"

    class Source(models.TextChoices):
        POS = "POS"
        API = "API"
        IMPORT = "IMPORT"
        ADMIN = "ADMIN"

    receipt_number = models.CharField(max_length=64)
    register_session = models.ForeignKey(
        RegisterSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales",
        db_index=False,
    )
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.POS)
    external_ref = models.CharField(max_length=64, blank=True, default="")
    customer_ref = models.CharField(max_length=64, blank=True, default="")
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    discount_total = models.DecimalField(**MONEY, default=ZERO)
    tax_total = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    change_due = models.DecimalField(**MONEY, default=ZERO)
    order_discount_percent = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True
    )
    order_discount_amount = models.DecimalField(**MONEY, null=True, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Issue 12: why the sale was voided, and the manager who approved a cashier's void.
    void_reason = models.CharField(max_length=255, blank=True, default="")
    void_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    objects = SaleRowQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "receipt_number"], name="sale_tenant_receipt_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=~Q(external_ref=""),
                name="sale_tenant_external_ref_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "register_session"], name="sale_tenant_session_idx"),
            models.Index(fields=["tenant", "completed_at"], name="sale_tenant_time_idx"),
            models.Index(
                fields=["tenant", "location", "completed_at"], name="sale_tenant_loc_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    def save(self, *args, **kwargs):
        """A new row only inside the POS services (else OneWritePathError, SPEC §3.1)."""
        if self._state.adding:
            _refuse_new_sale_rows(type(self))
        super().save(*args, **kwargs)


class SaleLine(TenantScopedModel):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveIntegerField()
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    qty = models.DecimalField(**QTY)
    unit_price = models.DecimalField(**UNIT_MONEY)
    gross = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=ZERO)
    net = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, default=ZERO)
    tax = models.DecimalField(**MONEY, default=ZERO)
    fee = models.DecimalField(**MONEY, default=ZERO)
    line_total = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**UNIT_MONEY, null=True, blank=True)
    qty_returned = models.DecimalField(**QTY, default=ZERO)
    # Issue 12: the manager who approved a cashier's discount above the tenant's limit, and why.
    discount_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    discount_reason = models.CharField(max_length=255, blank=True, default="")

    objects = SaleRowQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sale", "line_no"], name="saleline_uniq"),
            models.CheckConstraint(condition=Q(qty__gt=0), name="saleline_qty_pos"),
            models.CheckConstraint(
                condition=Q(qty_returned__gte=0) & Q(qty_returned__lte=models.F("qty")),
                name="saleline_returned_le_sold",
            ),
        ]
        indexes = [
            # Sales reports (top products, the dashboard) join the sales of a date range to
            # their lines: an index-only scan per sale instead of reading every line.
            models.Index(
                fields=["tenant", "sale"],
                include=["variant", "qty", "line_total"],
                name="saleline_sale_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}#{self.line_no}: {self.qty} × {self.variant_id}"

    def save(self, *args, **kwargs):
        """A new row only inside the POS services (else OneWritePathError, SPEC §3.1)."""
        if self._state.adding:
            _refuse_new_sale_rows(type(self))
        super().save(*args, **kwargs)


class Payment(TenantScopedModel):
    class Method(models.TextChoices):
        CASH = "CASH"
        CARD = "CARD"
        OTHER = "OTHER"

    sale = models.ForeignKey(
        Sale, on_delete=models.CASCADE, related_name="payments", db_index=False
    )
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = models.DecimalField(**MONEY)
    tendered = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "sale"], name="payment_tenant_sale_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.amount}"


class Return(TenantScopedModel):
    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        FINALIZED = "FINALIZED"

    sale = models.ForeignKey(
        Sale,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        db_index=False,
    )
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    register_session = models.ForeignKey(
        RegisterSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    reason = models.CharField(max_length=255, blank=True, default="")
    refund_method = models.CharField(
        max_length=8, choices=Payment.Method.choices, default=Payment.Method.CASH
    )
    source = models.CharField(max_length=8, choices=Sale.Source.choices, default=Sale.Source.POS)
    external_ref = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    refund_subtotal = models.DecimalField(**MONEY, default=ZERO)
    refund_discount = models.DecimalField(**MONEY, default=ZERO)
    refund_tax = models.DecimalField(**MONEY, default=ZERO)
    refund_total = models.DecimalField(**MONEY, default=ZERO)
    finalized_at = models.DateTimeField(null=True, blank=True)
    # Issue 12: the manager who approved a cashier's return without receipt or refund above
    # the limit (the reason is ``reason``).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=~Q(external_ref=""),
                name="return_tenant_external_ref_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "finalized_at"], name="return_tenant_time_idx"),
            models.Index(fields=["tenant", "sale"], name="return_tenant_sale_idx"),
        ]

    def __str__(self) -> str:
        return f"Return #{self.pk} ({self.status})"


class ReturnLine(TenantScopedModel):
    class Disposition(models.TextChoices):
        RESTOCK = "RESTOCK"
        DISCARD = "DISCARD"

    ret = models.ForeignKey(
        Return,
        on_delete=models.CASCADE,
        related_name="lines",
        db_column="return_id",
        db_index=False,
    )
    sale_line = models.ForeignKey(
        SaleLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="return_lines",
        db_index=False,
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    qty = models.DecimalField(**QTY)
    disposition = models.CharField(
        max_length=8, choices=Disposition.choices, default=Disposition.RESTOCK
    )
    unit_price = models.DecimalField(**UNIT_MONEY, null=True, blank=True)
    refund_gross = models.DecimalField(**MONEY, default=ZERO)
    refund_discount = models.DecimalField(**MONEY, default=ZERO)
    refund_net = models.DecimalField(**MONEY, default=ZERO)
    refund_tax = models.DecimalField(**MONEY, default=ZERO)
    refund_fee = models.DecimalField(**MONEY, default=ZERO)
    refund_total = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(qty__gt=0), name="returnline_qty_pos")]
        indexes = [
            models.Index(fields=["tenant", "ret"], name="returnline_tenant_return_idx"),
            models.Index(fields=["tenant", "sale_line"], name="returnline_tenant_saleline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.qty} × {self.variant_id} ({self.disposition})"


class CashMovement(TenantScopedModel):
    """Cash paid into or out of a register's drawer during a session (issue 12 item 6):
    change brought in, a supplier paid from the till. Counted in the expected cash."""

    class Direction(models.TextChoices):
        IN = "IN", "Paid in"
        OUT = "OUT", "Paid out"

    register_session = models.ForeignKey(
        RegisterSession, on_delete=models.PROTECT, related_name="cash_movements", db_index=False
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cashmovement_amount_pos"),
        ]
        indexes = [
            models.Index(fields=["tenant", "register_session"], name="cashmove_tenant_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.amount} ({self.reason})"


class ApprovalToken(TenantScopedModel):
    """A manager's approval issued ahead (``POST /api/v1/pos/approvals``, issue 12 item 3):
    single use, valid a few minutes, bound to the tenant and, when given, one store.
    Only the SHA-256 of the raw token is stored."""

    token_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    location = models.ForeignKey(
        "locations.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reason = models.CharField(max_length=255, blank=True, default="")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_for = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "token_hash"], name="approvaltoken_hash_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Approval #{self.pk} by {self.issued_by_id}"


class ReceiptSequence(models.Model):
    """Receipt numbers of sales made outside a till (API, admin, importer), per location and series.

    Till sales number from their register's ``receipt_counter``.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    series = models.CharField(max_length=16)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "location", "series"], name="receiptseq_tenant_loc_series_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id}/{self.series}: {self.last_value}"
