"""Webhook endpoints and their deliveries (SPEC §8, issue 15 item 2).

The events themselves are :class:`storekeep.core.models.OutboxEvent` rows, written in the
business transaction; a delivery is one row per (event, endpoint), with its attempts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from storekeep.core.models import TenantScopedModel


class WebhookEndpoint(TenantScopedModel):
    """Where a tenant's events go. ``secret`` is the HMAC-SHA256 key the deliveries are signed
    with: it must be kept to sign, so it is stored as the key itself, shown once (on create
    and on rotate) and never again by the API, the admin or an idempotency record."""

    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="event types this endpoint receives")
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True, default="")
    secret = models.CharField(max_length=100)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "is_active"], name="webhook_endpoint_active_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantScopedModel):
    """One event for one endpoint: PENDING until a 2xx answer (SUCCEEDED) or the last attempt
    (FAILED). ``next_attempt_at`` is when it is due; ``claimed_until`` keeps two senders from
    sending the same attempt at once."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        SUCCEEDED = "SUCCEEDED"
        FAILED = "FAILED"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.ForeignKey(
        "core.OutboxEvent", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "event"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "endpoint", "-id"], name="webhook_delivery_list_idx"),
            models.Index(
                fields=["tenant", "next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=Q(status="PENDING"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
