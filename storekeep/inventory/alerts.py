"""Low-stock alerts, logged after the operation that wrote them commits (SPEC §4).

The engine writes a ``LowStockAlert`` on each downward crossing and, on
commit, queues :func:`low_stock_alerts`. This module imports only models, so
the engine can import it without a cycle through :mod:`storekeep.inventory.tasks`.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from celery import shared_task
from django.db import transaction

from .models import LowStockAlert

logger = logging.getLogger("storekeep.inventory")

_quiet: ContextVar[bool] = ContextVar("storekeep_quiet_low_stock_alerts", default=False)


@shared_task(name="storekeep.inventory.tasks.low_stock_alerts")
def low_stock_alerts(alert_ids: list[int]) -> int:
    """Log each low-stock alert (one per downward crossing); returns how many ids were given."""
    alerts = LowStockAlert.objects.filter(pk__in=alert_ids).select_related("variant", "location")
    for alert in alerts:
        logger.warning(
            "low stock: %s at %s — available %s ≤ threshold %s",
            alert.variant.sku,
            alert.location.code,
            alert.available,
            alert.threshold,
        )
    return len(alert_ids)


@contextmanager
def quiet_low_stock_alerts() -> Iterator[None]:
    """Within the block (this thread or task only), alerts are written but not announced.

    For historic replays (the Online Retail import), whose thousands of
    crossings happened long ago: the ``LowStockAlert`` rows are still written.
    """
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def alerts_are_quiet() -> bool:
    """True inside :func:`quiet_low_stock_alerts` (nothing announced, no ``stock.low`` event)."""
    return _quiet.get()


def announce_on_commit(alert_ids: list[int]) -> None:
    """Queue :func:`low_stock_alerts` for ``alert_ids`` once the transaction commits
    (not inside :func:`quiet_low_stock_alerts`)."""
    if not _quiet.get():
        transaction.on_commit(lambda: announce_low_stock(alert_ids))


def announce_low_stock(alert_ids: list[int]) -> None:
    """Queue :func:`low_stock_alerts`; a broker that is down must not fail a committed sale."""
    try:
        low_stock_alerts.delay(alert_ids)
    except Exception:
        logger.exception("could not queue low-stock alerts %s", alert_ids)
