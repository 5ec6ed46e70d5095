"""PostgreSQL, real threads: racing FULL_STORE count creations leave one active count (SPEC §6)."""

import pytest

from storekeep.core.errors import Conflict
from storekeep.inventory.models import CountSession
from storekeep.inventory.services.counts import count_create

from .test_transfers_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_full_store_counts_leave_exactly_one(tenant, store):
    results = run_threads(
        [lambda: count_create(tenant=tenant, location_id=store.pk) for _ in range(4)]
    )
    created = [r for r in results if isinstance(r, CountSession)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(created) == 1
    assert all(isinstance(r, Conflict) and r.code == "count_already_active" for r in refused), (
        refused
    )
    assert CountSession.objects.filter(location=store, status="DRAFT").count() == 1
