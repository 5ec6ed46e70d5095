"""Selector helpers shared by every app (STYLE: reads are selectors)."""

from __future__ import annotations

from django.db.models import QuerySet

from .errors import NotFound


def get_object(queryset: QuerySet, pk, *, field: str = "pk"):
    """The row of ``queryset`` whose ``field`` is ``pk``, else 404 ``not_found``.

    A malformed id (``"abc"``, out of range) is a 404 too, never a 500; the
    message names the model. ``queryset`` must already be tenant-filtered.
    """
    try:
        return queryset.get(**{field: pk})
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(
            f"{queryset.model._meta.verbose_name.capitalize()} not found.",
            details={field: str(pk)},
        ) from None
