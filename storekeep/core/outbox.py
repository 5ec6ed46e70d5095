"""The transactional outbox (SPEC §8, issue 15 item 2).

A business service calls :func:`emit_event` / :func:`emit_events` inside its own transaction:
the events are written as :class:`~storekeep.core.models.OutboxEvent` rows there, so a change
that rolls back leaves no event and a change that commits never loses one. Then
:data:`events_written` fires (still inside the transaction) with the new rows; the webhooks app
registers on it and queues their delivery for after the commit. ``core`` imports no app, so
the services that emit events and the app that sends them meet only here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from .hooks import Hook
from .models import OutboxEvent

#: Every event type a webhook endpoint may subscribe to (issue 15 item 2).
EVENT_TYPES = (
    "sale.completed",
    "sale.voided",
    "return.finalized",
    "stock.low",
    "reservation.expired",
    "reservation.confirmed",
    "transfer.received",
    "purchase_order.received",
    "count.finalized",
)

#: Receivers get ``tenant`` and ``events`` (the OutboxEvent rows just written, with ids),
#: inside the business transaction.
events_written = Hook("core.outbox.events_written")

_quiet: ContextVar[bool] = ContextVar("storekeep_quiet_events", default=False)


@contextmanager
def quiet_events() -> Iterator[None]:
    """Within the block (this thread or task), nothing is emitted: for historic replays (the
    Online Retail import), whose sales happened long ago and must not reach today's receivers."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def emit_event(*, tenant, event_type: str, data: dict) -> OutboxEvent | None:
    """Write one event (see :func:`emit_events`); returns its row (None when quiet)."""
    rows = emit_events(tenant=tenant, events=[(event_type, data)])
    return rows[0] if rows else None


def emit_events(*, tenant, events: Sequence[tuple[str, dict]]) -> list[OutboxEvent]:
    """Write ``events`` (``(type, data)`` pairs; ``data`` JSON-serialisable: ids, decimal
    strings, ISO times) as outbox rows in the caller's transaction, one INSERT for all.

    Must run inside the business transaction (the rows share its fate). Raises ValueError for
    a type not in :data:`EVENT_TYPES` (a programming error, not user input).
    """
    if _quiet.get() or not events:
        return []
    unknown = sorted({event_type for event_type, _ in events} - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event types {unknown}")
    rows = [
        OutboxEvent(tenant=tenant, event_type=event_type, payload=data)
        for event_type, data in events
    ]
    rows = OutboxEvent.objects.bulk_create(rows)
    if not all(row.pk for row in rows):  # a backend that returns no ids from bulk inserts
        rows = [row for row in rows if row.pk] or _reload(tenant, len(rows))
    events_written(tenant=tenant, events=rows)
    return rows


def _reload(tenant, count: int) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(tenant=tenant).order_by("-pk")[:count])[::-1]
