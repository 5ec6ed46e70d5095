"""Reads of webhook endpoints and deliveries (tenant-filtered)."""

from __future__ import annotations

from django.db.models import QuerySet

from storekeep.core.selectors import get_object

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, tenant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant=tenant).order_by("pk")


def endpoint_get(*, tenant, endpoint_id) -> WebhookEndpoint:
    """404 ``not_found`` for an unknown, malformed or another tenant's id."""
    return get_object(endpoint_list(tenant=tenant), endpoint_id)


def delivery_list(*, tenant, endpoint, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, one per event, newest first (event joined)."""
    queryset = WebhookDelivery.objects.filter(tenant=tenant, endpoint=endpoint).select_related(
        "event"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-pk")


def delivery_get(*, tenant, endpoint, delivery_id) -> WebhookDelivery:
    """One delivery of the endpoint; 404 otherwise."""
    return get_object(delivery_list(tenant=tenant, endpoint=endpoint), delivery_id)
