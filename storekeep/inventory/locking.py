"""Row locks for stock, always through here (STYLE: Saleor ``lock_objects.py``).

All rows of an operation are locked in one query, in ascending primary-key
order, so concurrent operations over overlapping items cannot deadlock on
each other's stock rows (SPEC §3.4). On SQLite ``select_for_update`` is a no-op:
IMMEDIATE transactions already serialise writers.
"""

from django.db.models import QuerySet


def lock_rows(queryset: QuerySet) -> list:
    """Evaluate ``queryset`` with ``SELECT … FOR UPDATE OF <table>`` in pk order."""
    return list(queryset.order_by("pk").select_for_update(of=("self",)))
