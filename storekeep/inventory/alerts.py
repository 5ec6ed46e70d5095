"""Low-stock alerts, logged after the operation that wrote them commits (SPEC §4).

The engine writes a ``LowStockAlert`` on each downward crossing and, on
commit, queues :func:`low_stock_alerts`. This module imports only models, so
the engine can import it without a cycle through :mod:`storekeep.inventory.tasks`.
"""

import logging

from celery import shared_task

from .models import LowStockAlert

logger = logging.getLogger("storekeep.inventory")


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


def announce_low_stock(alert_ids: list[int]) -> None:
    """Queue :func:`low_stock_alerts`; a broker that is down must not fail a committed sale."""
    try:
        low_stock_alerts.delay(alert_ids)
    except Exception:
        logger.exception("could not queue low-stock alerts %s", alert_ids)
