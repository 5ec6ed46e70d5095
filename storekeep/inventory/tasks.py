"""Celery tasks of the stock engine (SPEC §8)."""

from celery import shared_task
from django.utils import timezone

from .alerts import low_stock_alerts
from .services import lots, reservations

__all__ = ["expire_lots", "low_stock_alerts", "release_expired_reservations"]


@shared_task
def release_expired_reservations() -> int:
    """Release every reservation past its expiry; returns how many."""
    return reservations.release_expired_reservations()


@shared_task
def expire_lots() -> int:
    """Write EXPIRY rows for lots past their expiry date (SPEC §7)."""
    return lots.expire_lots(today=timezone.localdate())
