"""The append-only stock ledger (SPEC §2, §3.2, §3.5)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from storekeep.catalog.models import QTY, UNIT_MONEY


class LedgerRefType(models.TextChoices):
    SALE = "SALE"
    VOID = "VOID"
    RETURN = "RETURN"
    RECEIPT = "RECEIPT"
    PURCHASE_ORDER_RECEIPT = "PURCHASE_ORDER_RECEIPT"
    ADJUSTMENT = "ADJUSTMENT"
    WASTE = "WASTE"
    EXPIRY = "EXPIRY"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    COUNT_RECONCILE = "COUNT_RECONCILE"
    RESERVATION_CONFIRM = "RESERVATION_CONFIRM"
    RECIPE_CONSUMPTION = "RECIPE_CONSUMPTION"


class StockReason(models.TextChoices):
    DAMAGE = "damage"
    THEFT = "theft"
    SPOILAGE = "spoilage"
    CORRECTION = "correction"
    INITIAL = "initial"
    EXPIRY = "expiry"
    OTHER = "other"


class AppendOnlyError(RuntimeError):
    """Ledger rows are never updated or deleted (SPEC §3.5)."""


class StockLedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("stock ledger rows are immutable")

    def delete(self):
        raise AppendOnlyError("stock ledger rows are immutable")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("stock ledger rows are immutable")


class StockLedger(models.Model):
    """One movement of on hand at one (location, variant), optionally one lot.

    ``balance_after`` is the item's on hand after this row; the rows of an item
    in id order form a running sum of ``qty_delta`` (SPEC §3.2).
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )  # the composite indexes below lead with tenant_id
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    lot = models.ForeignKey(
        "inventory.Lot",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    ref_type = models.CharField(max_length=32, choices=LedgerRefType.choices)
    ref_id = models.CharField(max_length=64, blank=True, default="")
    qty_delta = models.DecimalField(**QTY)
    balance_after = models.DecimalField(**QTY)
    unit_cost = models.DecimalField(**UNIT_MONEY, null=True, blank=True)
    reason = models.CharField(max_length=16, choices=StockReason.choices, blank=True, default="")
    note = models.CharField(max_length=255, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = StockLedgerQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant", "location", "variant", "created_at"], name="ledger_item_time_idx"
            ),
            models.Index(fields=["tenant", "ref_type", "ref_id"], name="ledger_ref_idx"),
            # The ledger's order (newest first: created_at, id) and its date bounds: a page
            # starts reading at the bound, whatever the date range.
            models.Index(fields=["tenant", "created_at", "id"], name="ledger_tenant_time_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ref_type} {self.qty_delta:+} → {self.balance_after}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("stock ledger rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("stock ledger rows are immutable")
