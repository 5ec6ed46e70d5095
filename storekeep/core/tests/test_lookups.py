"""The ``__any_of`` lookup selects what ``__in`` selects, on every backend."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.locations.models import Location
from storekeep.testing.factories import LocationFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_what_in_selects(tenant, other_tenant):
    mine = [LocationFactory(tenant=tenant, code=f"S{i}") for i in range(3)]
    theirs = LocationFactory(tenant=other_tenant, code="X")
    ids = [mine[0].pk, mine[2].pk, theirs.pk, mine[0].pk, None]
    for values in (
        ids,
        set(ids) - {None},
        [],
        [None],
        Location.objects.filter(code="S1").values("pk"),
    ):
        expected = set(
            Location.objects.filter(tenant=tenant, pk__in=values).values_list("pk", flat=True)
        )
        got = set(
            Location.objects.filter(tenant=tenant, pk__any_of=values).values_list("pk", flat=True)
        )
        assert got == expected, values
    assert set(
        Location.objects.filter(tenant_id__any_of=[tenant.pk]).values_list("pk", flat=True)
    ) == {loc.pk for loc in mine}


@pytest.mark.postgres
def test_any_of_sends_one_array_parameter_on_postgresql(tenant):
    with CaptureQueriesContext(connection) as ctx:
        list(Location.objects.filter(tenant=tenant, pk__any_of=range(1, 500)))
    (query,) = ctx.captured_queries
    assert '"locations_location"."id" = ANY(' in query["sql"] and " IN (" not in query["sql"]
