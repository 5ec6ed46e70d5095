"""Webhook endpoints and delivery (SPEC §8, issue 15 item 2).

The flow: a business service writes OutboxEvent rows in its own transaction
(:mod:`storekeep.core.outbox`); :func:`queue_after_commit` (registered on
``core.outbox.events_written``) queues :func:`~storekeep.webhooks.tasks.dispatch_events_task`
for after the commit — never inside the business transaction, never in the request thread
(with the embedded eager Celery, nothing is queued: ``manage.py deliver_webhooks`` sends).
:func:`dispatch_events` fans each event out into one WebhookDelivery per subscribed endpoint;
:func:`deliver` makes one attempt. A non-2xx answer, a timeout or a refused address schedules
the next attempt after ``BASE × 2^(attempt−1)`` seconds; after ``MAX_ATTEMPTS`` it is FAILED.
Receivers get each event at least once, with a stable ``id`` to de-duplicate.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import UTC, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from storekeep.core.errors import ValidationFailed
from storekeep.core.models import OutboxEvent
from storekeep.core.outbox import EVENT_TYPES

from .models import WebhookDelivery, WebhookEndpoint
from .transport import UnsafeTarget, check_url, post, sign

logger = logging.getLogger("storekeep.webhooks")
#: An event whose queueing was lost (broker down at commit) is dispatched by the sweep after this.
STALE_EVENT_SECONDS = 10


# --- endpoints ---------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def clean_endpoint(*, url: str | None = None, events: list | None = None) -> None:
    """400 ``validation_error`` for an unknown event type or an unsafe URL (scheme, a loopback
    name, a literal private address; ``STOREKEEP_WEBHOOK_ALLOW_PRIVATE=1`` allows private ones).
    A name that resolves to a private address is refused at each delivery instead."""
    if events is not None:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown or not events:
            raise ValidationFailed(
                "Unknown or no event types.",
                details={"events": [f"Choose from {', '.join(EVENT_TYPES)}."], "unknown": unknown},
            )
    if url is not None:
        try:
            check_url(url, resolve=False)
        except UnsafeTarget as exc:
            raise ValidationFailed(str(exc), details={"url": [str(exc)]}) from None


def endpoint_create(
    *,
    tenant,
    url: str,
    events: list[str],
    is_active: bool = True,
    description: str = "",
    actor=None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns (endpoint, the signing secret — shown this once)."""
    clean_endpoint(url=url, events=events)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        url=url,
        events=sorted(set(events)),
        is_active=is_active,
        description=description,
        secret=secret,
        created_by=actor,
    )
    return endpoint, secret


def endpoint_update(*, endpoint: WebhookEndpoint, changes: dict) -> WebhookEndpoint:
    """Change ``url``, ``events``, ``is_active`` or ``description`` (same checks as create)."""
    clean_endpoint(url=changes.get("url"), events=changes.get("events"))
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new signing secret (the old one stops at once); returns (endpoint, new secret)."""
    secret = new_secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return endpoint, secret


# --- after the business commit ---------------------------------------------------------------


def queue_after_commit(*, tenant, events: list[OutboxEvent]) -> None:
    """``core.outbox.events_written`` receiver: queue their dispatch once the transaction
    commits. With eager Celery (no broker) nothing is queued here: sending inside the request
    would make the customer wait for the receiver; ``deliver_webhooks`` sends instead."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    ids = [event.pk for event in events]
    transaction.on_commit(lambda: _queue_dispatch(ids))


def _queue_dispatch(ids: list[int]) -> None:
    from .tasks import dispatch_events_task

    try:
        dispatch_events_task.delay(ids)
    except Exception:  # a broker that is down must not fail a committed sale; the sweep sends
        logger.exception("could not queue webhook events %s", ids)


def dispatch_events(event_ids: list[int]) -> list[int]:
    """One PENDING delivery per (event, active subscribed endpoint), at most once each; marks
    the events SENT (fanned out). Returns the ids of the events' deliveries still PENDING."""
    events = list(OutboxEvent.objects.filter(pk__in=event_ids))
    if not events:
        return []
    endpoints = list(
        WebhookEndpoint.objects.filter(
            tenant_id__in={e.tenant_id for e in events}, is_active=True
        ).only("id", "tenant_id", "events")
    )
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            tenant_id=event.tenant_id, endpoint_id=ep.pk, event_id=event.pk, next_attempt_at=now
        )
        for event in events
        for ep in endpoints
        if ep.tenant_id == event.tenant_id and event.event_type in ep.events
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    OutboxEvent.objects.filter(pk__in=[e.pk for e in events], status="PENDING").update(
        status="SENT", sent_at=now
    )
    return list(
        WebhookDelivery.objects.filter(
            event_id__in=[e.pk for e in events], status=WebhookDelivery.Status.PENDING
        ).values_list("pk", flat=True)
    )


# --- one attempt -------------------------------------------------------------------------------


def envelope(event: OutboxEvent) -> bytes:
    """The body every attempt of ``event`` sends, byte for byte the same:
    ``{"id", "type", "created_at", "tenant", "data"}``."""
    created = event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    document = {
        "id": f"evt_{event.pk}",
        "type": event.event_type,
        "created_at": created,
        "tenant": event.tenant.slug,
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def backoff_seconds(attempts: int) -> float:
    """Wait before the attempt after ``attempts`` failed ones: BASE × 2^(attempts−1)."""
    return settings.STOREKEEP_WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)


def _claim(delivery_id: int, now) -> bool:
    """Take the delivery for one attempt (a conditional UPDATE: two senders never both win)."""
    until = now + timedelta(seconds=settings.STOREKEEP_WEBHOOK_TIMEOUT_SECONDS + 30)
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=until)
    )


def deliver(delivery_id: int) -> float | None:
    """Make one attempt if the delivery is due and nobody else is sending it. Returns the
    seconds until the next attempt when one is scheduled, else None. Runs outside any
    transaction (the POST holds no lock)."""
    if not _claim(delivery_id, timezone.now()):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "event__tenant").get(
        pk=delivery_id
    )
    body = envelope(delivery.event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "Storekeep-Event-Id": f"evt_{delivery.event_id}",
        "Storekeep-Event-Type": delivery.event.event_type,
        "Storekeep-Timestamp": str(timestamp),
        "Storekeep-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    answer = post(
        delivery.endpoint.url,
        body,
        headers,
        timeout=settings.STOREKEEP_WEBHOOK_TIMEOUT_SECONDS,
    )
    return _record(delivery, answer)


def _record(delivery: WebhookDelivery, answer) -> float | None:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = answer.status
    delivery.last_response = answer.body
    delivery.last_error = answer.error
    delivery.claimed_until = None
    retry_in = None
    if answer.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.STOREKEEP_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        retry_in = backoff_seconds(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    delivery.save()
    return retry_in


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again from its first attempt (any status); queued at once with a broker,
    else sent by ``deliver_webhooks``."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.claimed_until = None
    delivery.save(
        update_fields=["status", "attempts", "next_attempt_at", "claimed_until", "updated_at"]
    )
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pk = delivery.pk
        transaction.on_commit(lambda: _queue_delivery(pk))
    return delivery


def _queue_delivery(delivery_id: int, countdown: float | None = None) -> None:
    from .tasks import deliver_task

    try:
        deliver_task.apply_async((delivery_id,), countdown=countdown)
    except Exception:
        logger.exception("could not queue webhook delivery %s", delivery_id)


# --- what is due ---------------------------------------------------------------------------------


def pending_event_ids(*, older_than: float = 0, limit: int = 1000) -> list[int]:
    """Events not fanned out yet (their queueing lost, or no broker), oldest first."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return list(
        OutboxEvent.objects.filter(status="PENDING", created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def due_delivery_ids(*, limit: int = 1000) -> list[int]:
    """PENDING deliveries whose next attempt is due and that nobody is sending."""
    now = timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
