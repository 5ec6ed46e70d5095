"""The admin records sales through checkout and voids through sale_void."""

from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model

from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.pos.models import Sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("pos-admin", "a@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_pages_render(admin_client, world):
    for url in (
        "/admin/pos/sale/",
        "/admin/pos/sale/add/",
        "/admin/pos/register/",
        "/admin/pos/registersession/",
        "/admin/pos/return/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_admin_sale_goes_through_checkout_and_void_action(admin_client, world):
    a = world.variants[0]
    r = admin_client.post(
        "/admin/pos/sale/add/",
        {
            "location": world.store.pk,
            "lines": f"{a.sku} 2 9.50\n",
            "external_ref": "ADM-1",
            "customer_ref": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    sale = Sale.objects.get(external_ref="ADM-1")
    assert sale.source == "ADMIN" and sale.total == D("19.00")
    assert StockLedger.objects.filter(ref_type="SALE", ref_id=str(sale.pk)).count() == 1
    assert admin_client.get(f"/admin/pos/sale/{sale.pk}/change/").status_code == 200
    short = admin_client.post(
        "/admin/pos/sale/add/", {"location": world.store.pk, "lines": f"{a.sku} 1000\n"}
    )
    assert short.status_code == 200 and b"insufficient_stock" in short.content
    admin_client.post("/admin/pos/sale/", {"action": "void_sales", "_selected_action": [sale.pk]})
    assert Sale.objects.get(pk=sale.pk).status == "VOIDED"
    item = InventoryItem.objects.get(location=world.store, variant=a)
    assert item.on_hand == D("100")
