"""Acknowledging low-stock alerts (SPEC §4)."""

from __future__ import annotations

from django.utils import timezone

from ..models import LowStockAlert


def low_stock_alert_acknowledge(*, tenant, alert: LowStockAlert) -> LowStockAlert:
    """Mark ``alert`` (the tenant's) as seen now; acknowledging again keeps the first time.

    One conditional UPDATE (``acknowledged_at IS NULL``), so two people
    acknowledging together both see the same first time. Returns ``alert``
    with ``acknowledged_at`` as stored.
    """
    if alert.acknowledged_at is None:
        LowStockAlert.objects.filter(
            tenant=tenant, pk=alert.pk, acknowledged_at__isnull=True
        ).update(acknowledged_at=timezone.now())
        alert.refresh_from_db(fields=["acknowledged_at"])
    return alert
