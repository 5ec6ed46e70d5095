"""Celery tasks of the stock engine (SPEC §8)."""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger("storekeep.inventory")


@shared_task
def release_expired_reservations() -> int:
    from .services import release_expired_reservations as release

    return release()


@shared_task
def low_stock_alerts(alert_ids: list[int]) -> int:
    """Log each low-stock alert (one per downward crossing; SPEC §4)."""
    from .models import LowStockAlert

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


@shared_task
def expire_lots() -> int:
    """Write EXPIRY rows for lots past their expiry date (SPEC §7)."""
    from .services.lots import expire_lots as run

    return run(today=timezone.localdate())
