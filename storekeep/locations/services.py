"""Location rules (SPEC §2)."""

from __future__ import annotations

from .models import Location


def location_keep_single_default(*, tenant, location: Location) -> None:
    """At most one default location per tenant: when ``location`` is the default, the
    tenant's other locations stop being it (one UPDATE; call in the saving transaction)."""
    if location.is_default:
        Location.objects.filter(tenant=tenant, is_default=True).exclude(pk=location.pk).update(
            is_default=False
        )
