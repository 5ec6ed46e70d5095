"""Celery tasks of webhook delivery (SPEC §8): fan out after commit, one attempt per task,
retries with exponential backoff, and a beat sweep for whatever is due."""

from celery import shared_task

from . import services


@shared_task(name="storekeep.webhooks.tasks.dispatch_events_task")
def dispatch_events_task(event_ids: list[int]) -> int:
    """Fan events out into deliveries and queue one attempt each; returns how many."""
    delivery_ids = services.dispatch_events(event_ids)
    for delivery_id in delivery_ids:
        deliver_task.delay(delivery_id)
    return len(delivery_ids)


@shared_task(name="storekeep.webhooks.tasks.deliver_task")
def deliver_task(delivery_id: int) -> bool:
    """One attempt; on failure the next is queued after the backoff (the sweep is the net)."""
    retry_in = services.deliver(delivery_id)
    if retry_in is not None:
        services._queue_delivery(delivery_id, countdown=retry_in)
    return retry_in is None


@shared_task(name="storekeep.webhooks.tasks.sweep_webhooks")
def sweep_webhooks() -> int:
    """Beat job: dispatch events whose queueing was lost, queue every due delivery."""
    stale = services.pending_event_ids(older_than=services.STALE_EVENT_SECONDS)
    if stale:
        dispatch_events_task.delay(stale)
    due = services.due_delivery_ids()
    for delivery_id in due:
        deliver_task.delay(delivery_id)
    return len(stale) + len(due)
