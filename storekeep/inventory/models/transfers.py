"""Stock transfers between locations (SPEC §6)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from storekeep.catalog.models import QTY
from storekeep.core.models import TenantScopedModel


class InventoryTransfer(TenantScopedModel):
    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        IN_TRANSIT = "IN_TRANSIT"
        PARTIAL_RECEIVED = "PARTIAL_RECEIVED"
        RECEIVED = "RECEIVED"
        CANCELLED = "CANCELLED"

    from_location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    to_location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_location=models.F("to_location")),
                name="transfer_distinct_locations",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="transfer_tenant_status_idx")]

    def __str__(self) -> str:
        return f"Transfer #{self.pk} {self.from_location_id}→{self.to_location_id} ({self.status})"


class InventoryTransferLine(TenantScopedModel):
    transfer = models.ForeignKey(
        InventoryTransfer, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    qty = models.DecimalField(**QTY)
    qty_sent = models.DecimalField(**QTY, default=Decimal("0"))
    qty_received = models.DecimalField(**QTY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "transfer", "variant"], name="transferline_uniq"
            ),
            models.CheckConstraint(condition=Q(qty__gt=0), name="transferline_qty_pos"),
            models.CheckConstraint(
                condition=Q(qty_received__lte=models.F("qty_sent")),
                name="transferline_recv_le_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qty} × {self.variant_id}"

    @property
    def qty_remaining(self) -> Decimal:
        return self.qty_sent - self.qty_received
