"""The last active owner stays under real concurrency (PostgreSQL, issue 12 item 1): two owners
deactivating each other at the same moment cannot both succeed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from storekeep.accounts.services import staff_update
from storekeep.core.errors import PermissionDenied
from storekeep.tenants.models import Membership, Role
from storekeep.testing import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(tenant, a, b) -> list:
    """``a`` deactivates ``b`` while ``b`` deactivates ``a``; each thread's outcome."""
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def deactivate(actor, target):
        try:
            barrier.wait(timeout=30)
            staff_update(tenant=tenant, actor=actor, membership_id=target.pk, is_active=False)
            outcomes.append("ok")
        except PermissionDenied as exc:
            outcomes.append(exc.details.get("reason"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=deactivate, args=(a, b)),
        threading.Thread(target=deactivate, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes


def test_two_owners_deactivating_each_other_at_once_leave_one_owner():
    for _ in range(5):  # a few rounds: the race must never slip through
        tenant = factories.TenantFactory()
        a = factories.MembershipFactory(tenant=tenant, role=Role.OWNER)
        b = factories.MembershipFactory(tenant=tenant, role=Role.OWNER)
        assert sorted(race(tenant, a, b)) == ["last_owner", "ok"]
        assert (
            Membership.objects.filter(tenant=tenant, role=Role.OWNER, is_active=True).count() == 1
        )
