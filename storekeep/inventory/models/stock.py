"""Stock levels per (location, variant) (SPEC §2, §3)."""

import contextvars
from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from storekeep.catalog.models import MONEY, QTY, UNIT_MONEY  # noqa: F401
from storekeep.core.models import TenantScopedModel

# Set only by storekeep.inventory.services while it writes quantities (SPEC §3.1).
ENGINE_WRITE = contextvars.ContextVar("storekeep_engine_write", default=False)
GUARDED_FIELDS = frozenset({"on_hand", "reserved"})


class OneWritePathError(RuntimeError):
    """Raised when on_hand/reserved are written outside the stock engine (SPEC §3.1)."""


class InventoryItemQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if GUARDED_FIELDS & kwargs.keys() and not ENGINE_WRITE.get():
            raise OneWritePathError(
                "on_hand/reserved change only through storekeep.inventory.services"
            )
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if GUARDED_FIELDS & set(fields) and not ENGINE_WRITE.get():
            raise OneWritePathError(
                "on_hand/reserved change only through storekeep.inventory.services"
            )
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not ENGINE_WRITE.get() and any(obj.on_hand or obj.reserved for obj in objs):
            raise OneWritePathError(
                "items start at zero; stock arrives only through storekeep.inventory.services"
            )
        return super().bulk_create(objs, *args, **kwargs)


class InventoryItem(TenantScopedModel):
    """How much of one variant is at one location.

    ``available = on_hand - reserved`` is derived, never stored. ``allow_negative``
    mirrors the tenant's ``allow_negative_stock`` so the database CHECK can honour it.
    """

    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="inventory_items", db_index=False
    )
    on_hand = models.DecimalField(**QTY, default=Decimal("0"))
    reserved = models.DecimalField(**QTY, default=Decimal("0"))
    reorder_point = models.DecimalField(**QTY, null=True, blank=True)
    reorder_qty = models.DecimalField(**QTY, null=True, blank=True)
    avg_unit_cost = models.DecimalField(**UNIT_MONEY, default=Decimal("0"))
    last_counted_at = models.DateTimeField(null=True, blank=True)
    last_movement_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveBigIntegerField(default=0)
    low_stock_alerted = models.BooleanField(default=False)
    allow_negative = models.BooleanField(default=False)

    objects = InventoryItemQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "location", "variant"], name="item_tenant_loc_variant_uniq"
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0) | Q(allow_negative=True), name="item_on_hand_nonneg"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="item_reserved_nonneg"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")) | Q(allow_negative=True),
                name="item_reserved_le_on_hand",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "variant"], name="item_tenant_variant_idx")]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id}: {self.on_hand}"

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._loaded_qty = (obj.__dict__.get("on_hand"), obj.__dict__.get("reserved"))
        return obj

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        loaded = list(getattr(self, "_loaded_qty", (None, None)))
        for index, name in enumerate(("on_hand", "reserved")):
            if fields is None or name in fields:
                loaded[index] = self.__dict__.get(name)
        self._loaded_qty = tuple(loaded)

    def save(self, *args, **kwargs):
        """Outside the engine: quantities may not change, and an update never writes them back
        (a stale instance must not overwrite what the engine wrote since it was loaded)."""
        if not ENGINE_WRITE.get():
            loaded = getattr(self, "_loaded_qty", (Decimal("0"), Decimal("0")))
            if (self.on_hand, self.reserved) != loaded:
                raise OneWritePathError(
                    "on_hand/reserved change only through storekeep.inventory.services"
                )
            if not self._state.adding:
                fields = kwargs.get("update_fields")
                if fields is None:
                    fields = [f.name for f in self._meta.concrete_fields if not f.primary_key]
                kwargs["update_fields"] = [name for name in fields if name not in GUARDED_FIELDS]
        super().save(*args, **kwargs)
        self._loaded_qty = (self.on_hand, self.reserved)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class LowStockAlert(TenantScopedModel):
    """One alert per downward crossing of the reorder threshold (SPEC §4)."""

    item = models.ForeignKey(
        InventoryItem, on_delete=models.CASCADE, related_name="low_stock_alerts", db_index=False
    )
    location = models.ForeignKey(
        "locations.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    available = models.DecimalField(**QTY)
    threshold = models.DecimalField(**QTY)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="lowstock_tenant_created_idx")
        ]

    def __str__(self) -> str:
        return (
            f"low stock {self.variant_id}@{self.location_id}: {self.available} ≤ {self.threshold}"
        )
