"""Lots with expiry for lot-tracked variants (SPEC §7)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from storekeep.catalog.models import QTY, UNIT_MONEY
from storekeep.core.models import TenantScopedModel


class Lot(TenantScopedModel):
    """A batch at one location; Σ lot qty = the item's on hand (SPEC §3.2)."""

    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="lots", db_index=False
    )
    lot_code = models.CharField(max_length=64)
    expiry_date = models.DateField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    qty = models.DecimalField(**QTY, default=Decimal("0"))
    unit_cost = models.DecimalField(**UNIT_MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "location", "variant", "lot_code"],
                name="lot_tenant_item_code_uniq",
            ),
            models.CheckConstraint(condition=Q(qty__gte=0), name="lot_qty_nonneg"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "location", "variant", "expiry_date"], name="lot_fefo_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_code} ({self.qty}, exp {self.expiry_date})"
