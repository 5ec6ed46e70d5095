"""Abstract bases shared by every tenant-owned table (SPEC §2)."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantScopedModel(TimeStampedModel):
    """A row owned by one tenant.

    Every index and unique constraint of a subclass leads with ``tenant_id``
    (SPEC §2, §12) so the schema can later be distributed by tenant.
    """

    # No index of its own: every subclass has an index or unique constraint leading with
    # tenant_id (tested), which also serves this foreign key; a lone (tenant_id) index
    # would only be one more index to maintain on every insert.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first response to a POST with an ``Idempotency-Key`` (SPEC §3.8, §10).

    A record belongs to the caller that made it: ``membership`` and ``credential``
    (the kind of credentials, ``ApiToken`` or ``RegisterAuth``). ``response_body``
    never holds a secret: ``secret_fields`` names the fields blanked before storing.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    membership = models.ForeignKey(
        "tenants.Membership", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    credential = models.CharField(max_length=32, blank=True, default="")
    secret_fields = models.JSONField(default=list, blank=True)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_tenant_key_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.response_status}"


class OutboxEvent(models.Model):
    """A webhook event written in the business transaction, sent on commit (SPEC §8)."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        SENT = "SENT"
        FAILED = "FAILED"

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="outbox_tenant_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.status})"
