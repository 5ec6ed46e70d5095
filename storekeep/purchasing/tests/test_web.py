"""Back-office purchasing pages through Django's test client."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import InventoryItem, Lot
from storekeep.purchasing.models import PurchaseOrder, Vendor
from storekeep.tenants.models import Role
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


def test_purchase_order_create_submit_receive_in_part_with_lots_then_cancel_the_rest(
    web_client, tenant, store
):
    vendor = Vendor.objects.create(tenant=tenant, name="Fresh Foods")
    milk = factories.VariantFactory(tenant=tenant, sku="MILK", track_lots=True)
    jam = factories.VariantFactory(tenant=tenant, sku="JAM")
    manager = web_client(Role.MANAGER)
    response = manager.post(
        "/purchasing/orders/new/",
        {
            "vendor_id": vendor.pk,
            "location_id": store.pk,
            "lines": "2",
            "line-0-code": "MILK",
            "line-0-qty": "10",
            "line-0-unit_cost": "0.80",
            "line-1-code": "JAM",
            "line-1-qty": "4",
        },
    )
    assert response.status_code == 302, response.content
    order = PurchaseOrder.objects.get()
    url = f"/purchasing/orders/{order.pk}/"
    page = manager.get(url).content.decode()
    assert "Submit to vendor" in page and "£8.00" in page
    assert manager.post(url, {"action": "submit"}).status_code == 302
    no_lot = manager.post(url, {"action": "receive", f"qty-{milk.pk}": "6"})
    assert no_lot.status_code == 400 and b"give the lot code" in no_lot.content
    too_many = manager.post(url, {"action": "receive", f"qty-{jam.pk}": "9"})
    assert too_many.status_code == 409
    assert not InventoryItem.objects.filter(variant=jam).exists()
    received = manager.post(
        url,
        {
            "action": "receive",
            f"qty-{milk.pk}": "6",
            f"lot_code-{milk.pk}": "M-1",
            f"expiry_date-{milk.pk}": "2031-02-01",
            f"qty-{jam.pk}": "",
        },
    )
    assert received.status_code == 302
    order.refresh_from_db()
    assert order.status == "PARTIAL_RECEIVED"
    lot = Lot.objects.get(variant=milk)
    assert (lot.lot_code, lot.qty, str(lot.expiry_date)) == ("M-1", D("6"), "2031-02-01")
    assert manager.post(url, {"action": "cancel"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "CANCELLED"
    assert InventoryItem.objects.get(variant=milk).on_hand == D("6")


def test_viewer_sees_orders_but_cannot_write_and_other_stores_are_hidden(
    web_client, tenant, store, warehouse
):
    vendor = Vendor.objects.create(tenant=tenant, name="V")
    variant = factories.VariantFactory(tenant=tenant, sku="X")
    manager = web_client(Role.MANAGER)
    manager.post(
        "/purchasing/orders/new/",
        {
            "vendor_id": vendor.pk,
            "location_id": warehouse.pk,
            "lines": "1",
            "line-0-code": "X",
            "line-0-qty": "1",
        },
    )
    order = PurchaseOrder.objects.get()
    viewer = web_client(Role.VIEWER)
    assert viewer.get("/purchasing/?status=DRAFT").status_code == 200
    assert viewer.post(f"/purchasing/orders/{order.pk}/", {"action": "submit"}).status_code == 403
    assert viewer.post("/purchasing/vendors/", {"name": "New"}).status_code == 403
    store_member = web_client(Role.MANAGER, locations=[store])
    assert store_member.get(f"/purchasing/orders/{order.pk}/").status_code == 404
    assert f"PO #{order.pk}<" not in store_member.get("/purchasing/").content.decode()
    assert variant.pk


def test_vendors_are_added_once_per_name(web_client, tenant):
    manager = web_client(Role.MANAGER)
    form = {"name": "Bakery Co", "lead_time_days": "2", "email": "", "code": "", "phone": ""}
    assert manager.post("/purchasing/vendors/", form).status_code == 302
    again = manager.post("/purchasing/vendors/", {**form, "name": "bakery co"})
    assert again.status_code == 400 and b"already exists" in again.content
    assert Vendor.objects.filter(tenant=tenant).count() == 1


def test_order_list_query_count_is_constant(web_client, tenant, store):
    vendor = Vendor.objects.create(tenant=tenant, name="V")
    variants = [factories.VariantFactory(tenant=tenant, sku=f"P{i}") for i in range(3)]
    manager = web_client(Role.MANAGER)
    for _ in range(30):
        form = {"vendor_id": vendor.pk, "location_id": store.pk, "lines": "3"}
        for i, v in enumerate(variants):
            form[f"line-{i}-code"], form[f"line-{i}-qty"] = v.sku, "2"
        manager.post("/purchasing/orders/new/", form)
    counts = []
    for size in (25, 100):
        with CaptureQueriesContext(connection) as ctx:
            assert manager.get(f"/purchasing/?page_size={size}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
