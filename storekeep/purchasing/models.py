"""Vendors and purchase orders (SPEC §6)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from storekeep.catalog.models import QTY, UNIT_MONEY
from storekeep.core.models import TenantScopedModel


class Vendor(TenantScopedModel):
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, blank=True, default="")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    lead_time_days = models.PositiveIntegerField(default=3)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="vendor_tenant_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class VendorVariant(TenantScopedModel):
    """A variant a vendor supplies, with its cost; ``is_preferred`` drives reorder drafts."""

    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, related_name="variants", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, related_name="vendor_links", db_index=False
    )
    vendor_sku = models.CharField(max_length=64, blank=True, default="")
    unit_cost = models.DecimalField(**UNIT_MONEY, default=Decimal("0"))
    is_preferred = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "vendor", "variant"], name="vendorvariant_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}:{self.variant_id}"


class PurchaseOrder(TenantScopedModel):
    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        SUBMITTED = "SUBMITTED"
        PARTIAL_RECEIVED = "PARTIAL_RECEIVED"
        RECEIVED = "RECEIVED"
        CANCELLED = "CANCELLED"

    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(blank=True)
    expected_at = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status"], name="po_tenant_status_idx")]

    def __str__(self) -> str:
        return f"PO #{self.pk} ({self.status})"


class PurchaseOrderLine(TenantScopedModel):
    order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    qty_ordered = models.DecimalField(**QTY)
    qty_received = models.DecimalField(**QTY, default=Decimal("0"))
    unit_cost = models.DecimalField(**UNIT_MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "order", "variant"], name="poline_uniq"),
            models.CheckConstraint(condition=Q(qty_ordered__gt=0), name="poline_qty_pos"),
            models.CheckConstraint(condition=Q(qty_received__gte=0), name="poline_recv_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.qty_ordered} × {self.variant_id}"
