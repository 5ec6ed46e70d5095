"""manage.py seed_demo: idempotent demo tenant with real data and a working login."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from storekeep.catalog.models import Variant
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.inventory.selectors import ledger_parity_mismatches
from storekeep.locations.models import Location
from storekeep.tenants.models import Membership, Tenant
from storekeep.testing.db import planner_row_count


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--until", "2010-12-01", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_the_demo_login_works():
    out = seed()
    assert "Demo login: demo / demo (tenant demo)" in out
    tenant = Tenant.objects.get(slug="demo")
    assert set(Location.objects.filter(tenant=tenant).values_list("type", flat=True)) >= {
        "STORE",
        "WAREHOUSE",
    }
    owner = Membership.objects.get(tenant=tenant, user__username="demo")
    assert owner.role == "OWNER"
    # issue 12 item 2: the owner runs the shop through the API and UI, not the Django admin
    assert not owner.user.is_staff and not owner.user.is_superuser
    operator = get_user_model().objects.get(username="operator")
    assert operator.is_staff and operator.is_superuser and not operator.memberships.exists()
    assert "Admin (platform operator): operator / demo at /admin/" in out
    assert Membership.objects.get(tenant=tenant, user__username="demo-cashier").role == "CASHIER"
    sales = StockLedger.objects.filter(tenant=tenant, ref_type="SALE").count()
    assert sales > 0  # the real data was replayed
    rows = StockLedger.objects.filter(tenant=tenant).count()
    assert ledger_parity_mismatches(tenant=tenant)[0] == []
    for model in (InventoryItem, StockLedger):  # the planner knows what was loaded
        assert planner_row_count(model) == model.objects.count(), model.__name__

    owner.user.is_superuser = owner.user.is_staff = True  # as an earlier demo made it
    owner.user.save()
    seed()  # again: nothing new, and the owner is no admin user any more
    owner.user.refresh_from_db()
    assert not owner.user.is_staff and not owner.user.is_superuser
    assert StockLedger.objects.filter(tenant=tenant).count() == rows
    assert Tenant.objects.filter(slug="demo").count() == 1

    api = APIClient()
    login = api.post("/api/v1/auth/token", {"username": "demo", "password": "demo"}, format="json")
    assert login.status_code == 201, login.content
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")
    store = Location.objects.get(tenant=tenant, code="STORE1")
    stock = api.get(f"/api/v1/inventory/stock?location_id={store.pk}").json()
    # the 40 best sellers and the zero-rated children's range (demo_shop)
    assert (
        stock["count"]
        == 40 + Variant.objects.filter(tenant=tenant, product__tax_category__rate=0).count()
    )
    low = [row["is_low_stock"] for row in stock["results"]]
    assert any(low) and not all(low)  # reorder points make the low-stock list meaningful
