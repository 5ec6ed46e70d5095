"""Stores, warehouses and virtual locations (SPEC §2)."""

from django.db import models
from simple_history.models import HistoricalRecords

from storekeep.core.models import TenantScopedModel


class Location(TenantScopedModel):
    class Type(models.TextChoices):
        STORE = "STORE"
        WAREHOUSE = "WAREHOUSE"
        VIRTUAL = "VIRTUAL"

    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.STORE)
    address = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="location_tenant_code_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"
