"""Admin pages for transfers, counts, vendors and purchase orders load, with read-only quantities."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from storekeep.inventory.services.counts import count_create, count_record_scan
from storekeep.inventory.services.transfers import TransferLineInput, transfer_create
from storekeep.purchasing.models import Vendor
from storekeep.purchasing.services import OrderLineInput, purchase_order_create

pytestmark = pytest.mark.django_db


def test_admin_changelists_and_change_pages(client, tenant, store, warehouse, variant, stock):
    stock(variant, warehouse, 5)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, Decimal("2"))],
    )
    count = count_create(tenant=tenant, location_id=store.pk)
    count_record_scan(
        tenant=tenant, count_id=count.pk, variant_id=variant.pk, counted_qty=Decimal("1")
    )
    vendor = Vendor.objects.create(tenant=tenant, name="Mugs Ltd")
    order = purchase_order_create(
        tenant=tenant,
        vendor_id=vendor.pk,
        location_id=store.pk,
        lines=[OrderLineInput(variant.pk, Decimal("3"))],
    )
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    pages = {
        "/admin/inventory/inventorytransfer/": "DRAFT",
        f"/admin/inventory/inventorytransfer/{transfer.pk}/change/": "2.000",
        "/admin/inventory/countsession/": "IN_PROGRESS",
        f"/admin/inventory/countsession/{count.pk}/change/": "1.000",
        "/admin/purchasing/vendor/": "Mugs Ltd",
        f"/admin/purchasing/vendor/{vendor.pk}/change/": "Mugs Ltd",
        "/admin/purchasing/purchaseorder/": "DRAFT",
        f"/admin/purchasing/purchaseorder/{order.pk}/change/": "3.000",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    # quantities are not editable: the change form has no input for them
    body = client.get(f"/admin/inventory/inventorytransfer/{transfer.pk}/change/")
    assert 'name="lines-0-qty"' not in body.content.decode()
    assert client.get("/admin/inventory/inventorytransfer/add/").status_code == 403
