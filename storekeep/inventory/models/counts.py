"""Cycle counts (SPEC §6)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from storekeep.catalog.models import QTY
from storekeep.core.models import TenantScopedModel


class CountSession(TenantScopedModel):
    class Scope(models.TextChoices):
        FULL_STORE = "FULL_STORE"
        ZONE = "ZONE"

    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        IN_PROGRESS = "IN_PROGRESS"
        FINALIZED = "FINALIZED"
        CANCELLED = "CANCELLED"

    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.FULL_STORE)
    zone_name = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    finalized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "location"],
                condition=Q(scope="FULL_STORE", status__in=["DRAFT", "IN_PROGRESS"]),
                name="count_one_active_full_store",
            ),
        ]

    def __str__(self) -> str:
        return f"Count #{self.pk} @{self.location_id} ({self.status})"


class CountSessionLine(TenantScopedModel):
    session = models.ForeignKey(
        CountSession, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    expected_qty = models.DecimalField(**QTY)
    counted_qty = models.DecimalField(**QTY)
    scanned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "session", "variant"], name="countline_uniq"),
            models.CheckConstraint(
                condition=Q(counted_qty__gte=0), name="countline_counted_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}: expected {self.expected_qty}, counted {self.counted_qty}"
