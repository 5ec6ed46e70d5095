"""Row locks for stock, always through here (STYLE: Saleor ``lock_objects.py``).

All rows of an operation are locked in one query, in ascending primary-key
order, so concurrent operations over overlapping items cannot deadlock on
each other's stock rows (SPEC §3.4). On SQLite ``select_for_update`` is a no-op:
IMMEDIATE transactions already serialise writers.
"""

from django.db.models import QuerySet


def lock_rows(queryset: QuerySet, *, skip_locked: bool = False) -> list:
    """Evaluate ``queryset`` with ``SELECT … FOR UPDATE OF <table>`` in pk order.

    ``skip_locked`` leaves out rows another transaction holds (``SKIP LOCKED``),
    for opportunistic work that must not wait behind their owner.
    """
    return list(queryset.order_by("pk").select_for_update(of=("self",), skip_locked=skip_locked))
