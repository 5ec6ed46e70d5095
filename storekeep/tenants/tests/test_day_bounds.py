"""Tenant-local day boundaries (SPEC §9): one implementation on Tenant."""

import datetime as dt

from storekeep.tenants.models import Tenant


def test_day_bounds_are_local_midnights_with_date_to_inclusive():
    tenant = Tenant(slug="t", timezone="Europe/London")
    start, end = tenant.day_bounds(dt.date(2026, 7, 1), dt.date(2026, 7, 2))
    assert start == dt.datetime(2026, 6, 30, 23, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 7, 2, 23, 0, tzinfo=dt.UTC)
    assert tenant.day_bounds() == (None, None)


def test_unknown_or_blank_zone_is_utc():
    assert Tenant(slug="t", timezone="Mars/Base").zone == dt.UTC
    assert Tenant(slug="t", timezone="").day_start(dt.date(2026, 1, 1)) == dt.datetime(
        2026, 1, 1, tzinfo=dt.UTC
    )
