"""Webhook endpoints and deliveries in the admin: read-only, the signing secret never shown."""

from django.contrib import admin

from storekeep.core.admin import ReadOnlyAdmin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "url", "is_active", "tenant", "created_at"]
    list_filter = ["is_active", "tenant"]
    fields = ["tenant", "url", "events", "is_active", "description", "secret_rotated_at"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "tenant",
    ]
    list_filter = ["status", "tenant"]
    list_select_related = ["endpoint", "event", "tenant"]
