"""Reservations of available stock for orders (SPEC §8)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from storekeep.catalog.models import QTY
from storekeep.core.models import TenantScopedModel


class Reservation(TenantScopedModel):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        CONFIRMED = "CONFIRMED"
        RELEASED = "RELEASED"
        EXPIRED = "EXPIRED"

    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    qty = models.DecimalField(**QTY)
    order_ref = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(qty__gt=0), name="reservation_qty_pos")]
        indexes = [
            models.Index(fields=["tenant", "status", "expires_at"], name="reservation_due_idx"),
            models.Index(
                fields=["tenant", "location", "variant", "status"], name="reservation_item_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qty} × {self.variant_id}@{self.location_id} ({self.status})"
