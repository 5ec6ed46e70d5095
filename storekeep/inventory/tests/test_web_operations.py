"""Back-office transfers, counts and reorder pages through Django's test client."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import CountSession, InventoryItem, InventoryTransfer
from storekeep.purchasing.models import PurchaseOrder, Vendor, VendorVariant
from storekeep.tenants.models import Role
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


def _new_transfer(client, source, target, lines):
    form = {"from_location_id": source.pk, "to_location_id": target.pk, "lines": len(lines)}
    for i, (variant, qty) in enumerate(lines):
        form[f"line-{i}-code"] = variant.sku
        form[f"line-{i}-qty"] = qty
    response = client.post("/transfers/new/", form)
    assert response.status_code == 302, response.content
    return InventoryTransfer.objects.latest("pk")


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_transfer_create_send_receive_part_then_the_rest(
    web_client, tenant, store, warehouse, stock
):
    a = factories.VariantFactory(tenant=tenant, sku="A")
    b = factories.VariantFactory(tenant=tenant, sku="B")
    stock(a, warehouse, 10)
    stock(b, warehouse, 10)
    manager = web_client(Role.MANAGER)
    transfer = _new_transfer(manager, warehouse, store, [(a, "6"), (b, "2")])
    assert transfer.status == "DRAFT"
    assert manager.post(f"/transfers/{transfer.pk}/", {"action": "send"}).status_code == 302
    assert InventoryItem.objects.get(variant=a, location=warehouse).on_hand == D("4")
    page = manager.get("/transfers/?status=IN_TRANSIT").content.decode()
    assert f"Transfer #{transfer.pk}" in page

    cashier = web_client(Role.CASHIER, locations=[store])
    assert cashier.post(f"/transfers/{transfer.pk}/", {"action": "cancel"}).status_code == 403
    over = cashier.post(
        f"/transfers/{transfer.pk}/",
        {"action": "receive", f"receive-{a.pk}": "7", f"receive-{b.pk}": "0"},
    )
    assert over.status_code == 409
    assert b"Cannot receive more than was sent" in over.content
    assert InventoryItem.objects.filter(variant=a, location=store).count() == 0
    part = cashier.post(
        f"/transfers/{transfer.pk}/",
        {"action": "receive", f"receive-{a.pk}": "4", f"receive-{b.pk}": ""},
    )
    assert part.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "PARTIAL_RECEIVED"
    page = cashier.get(f"/transfers/{transfer.pk}/").content.decode()
    assert f'name="receive-{a.pk}"' in page and 'value="2"' in page  # the remaining 2 prefilled
    assert cashier.post(f"/transfers/{transfer.pk}/", {"action": "receive_all"}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "RECEIVED"
    assert InventoryItem.objects.get(variant=a, location=store).on_hand == D("6")


def test_draft_transfer_cancel_and_viewer_cannot_write(web_client, tenant, store, warehouse, stock):
    a = factories.VariantFactory(tenant=tenant, sku="A")
    stock(a, warehouse, 5)
    transfer = _new_transfer(web_client(Role.MANAGER), warehouse, store, [(a, "1")])
    viewer = web_client(Role.VIEWER)
    refused = viewer.post(f"/transfers/{transfer.pk}/", {"action": "send"})
    assert refused.status_code == 403 and b"cashier role" in refused.content
    assert viewer.post("/transfers/new/", {}).status_code == 403
    manager = web_client(Role.MANAGER)
    assert manager.post(f"/transfers/{transfer.pk}/", {"action": "cancel"}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "CANCELLED"


def test_transfers_of_other_stores_and_tenants_are_hidden(
    web_client, tenant, other_tenant, store, warehouse, stock
):
    a = factories.VariantFactory(tenant=tenant, sku="A")
    stock(a, warehouse, 5)
    other_store = factories.LocationFactory(tenant=tenant, code="OTHER")
    transfer = _new_transfer(web_client(Role.MANAGER), warehouse, other_store, [(a, "1")])
    member = web_client(Role.MANAGER, locations=[store])
    assert member.get(f"/transfers/{transfer.pk}/").status_code == 404
    assert f"#{transfer.pk}<" not in member.get("/transfers/?status=DRAFT").content.decode()
    stranger = web_client(Role.OWNER, tenant_=other_tenant)
    assert stranger.get(f"/transfers/{transfer.pk}/").status_code == 404


def test_transfer_list_query_count_is_constant(web_client, tenant, store, warehouse, stock):
    variants = [factories.VariantFactory(tenant=tenant, sku=f"T{i}") for i in range(3)]
    for v in variants:
        stock(v, warehouse, 100)
    manager = web_client(Role.MANAGER)
    for _ in range(30):
        _new_transfer(manager, warehouse, store, [(v, "1") for v in variants])
    assert queries(manager, "/transfers/?status=DRAFT&page_size=25") == queries(
        manager, "/transfers/?status=DRAFT&page_size=200"
    )


def test_second_full_store_count_is_refused_with_the_reason(web_client, store):
    manager = web_client(Role.MANAGER)
    first = manager.post("/counts/", {"location_id": store.pk, "scope": "FULL_STORE"})
    assert first.status_code == 302
    second = manager.post("/counts/", {"location_id": store.pk, "scope": "FULL_STORE"})
    assert second.status_code == 409
    assert b"A full-store count is already open at this location" in second.content
    assert CountSession.objects.filter(location=store).count() == 1
    zone = manager.post("/counts/", {"location_id": store.pk, "scope": "ZONE", "zone_name": "A3"})
    assert zone.status_code == 302


def test_count_scan_add_set_variance_preview_and_finalize(web_client, tenant, store, stock):
    a = factories.VariantFactory(tenant=tenant, sku="A", barcode="5000001")
    b = factories.VariantFactory(tenant=tenant, sku="B")
    stock(a, store, 10, unit_cost="2.00")
    stock(b, store, 4, unit_cost="1.00")
    manager = web_client(Role.MANAGER)
    manager.post("/counts/", {"location_id": store.pk, "scope": "FULL_STORE"})
    count = CountSession.objects.get()
    url = f"/counts/{count.pk}/"
    cashier = web_client(Role.CASHIER, locations=[store])
    for _ in range(3):
        assert cashier.post(url, {"code": "5000001", "qty": "3", "mode": "add"}).status_code == 302
    assert cashier.post(url, {"code": "B", "qty": "6", "mode": "set"}).status_code == 302
    unknown = cashier.post(url, {"code": "NOPE", "qty": "1", "mode": "add"})
    assert unknown.status_code == 404 and b"No product with barcode or SKU" in unknown.content
    page = cashier.get(url).content.decode()
    assert "autofocus" in page and 'id="s-code"' in page
    assert "−1" in page and "+2" in page  # A: 9 vs 10, B: 6 vs 4
    assert "£0.00" in page  # −1 × 2.00 + 2 × 1.00
    assert cashier.post(url, {"action": "finalize"}).status_code == 403
    assert manager.post(url, {"action": "finalize"}).status_code == 302
    assert InventoryItem.objects.get(variant=a).on_hand == D("9")
    assert InventoryItem.objects.get(variant=b).on_hand == D("6")


def test_reorder_page_lists_suggestions_exports_them_and_drafts_orders(
    web_client, tenant, store, stock
):
    vendor = Vendor.objects.create(tenant=tenant, name="Acme Supplies")
    low = factories.VariantFactory(tenant=tenant, sku="LOW", reorder_point=D("10"))
    orphan = factories.VariantFactory(tenant=tenant, sku="ORPHAN", reorder_point=D("5"))
    fine = factories.VariantFactory(tenant=tenant, sku="FINE", reorder_point=D("1"))
    VendorVariant.objects.create(tenant=tenant, vendor=vendor, variant=low, unit_cost=D("1.50"))
    for variant in (low, orphan, fine):
        stock(variant, store, 2)
    viewer = web_client(Role.VIEWER)
    page = viewer.get("/reorder/").content.decode()
    assert "LOW" in page and "ORPHAN" in page and "FINE" not in page
    assert "Acme Supplies" in page and "No vendor" in page
    assert "Draft purchase orders" not in page
    body = b"".join(viewer.get(f"/reorder/export.csv?vendor={vendor.pk}").streaming_content)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [(r["sku"], r["suggested_qty"]) for r in rows] == [("LOW", "8.000")]
    assert viewer.post("/reorder/", {}).status_code == 403
    response = web_client(Role.MANAGER).post("/reorder/", {})
    assert response.status_code == 302 and "status=DRAFT" in response["Location"]
    order = PurchaseOrder.objects.get()
    assert [(line.variant.sku, line.qty_ordered) for line in order.lines.all()] == [("LOW", D("8"))]


def test_count_and_reorder_pages_have_constant_query_counts(web_client, tenant, store, stock):
    for i in range(40):
        v = factories.VariantFactory(tenant=tenant, sku=f"R{i:02d}", reorder_point=D("10"))
        stock(v, store, 1)
    manager = web_client(Role.MANAGER)
    assert queries(manager, "/reorder/?page_size=25") == queries(manager, "/reorder/?page_size=100")
    manager.post("/counts/", {"location_id": store.pk, "scope": "FULL_STORE"})
    count = CountSession.objects.get()
    manager.post(f"/counts/{count.pk}/", {"code": "R00", "qty": "1"})
    small = queries(manager, f"/counts/{count.pk}/")
    for i in range(1, 30):
        manager.post(f"/counts/{count.pk}/", {"code": f"R{i:02d}", "qty": "1"})
    assert queries(manager, f"/counts/{count.pk}/") == small
    assert queries(manager, "/counts/?page_size=25") == queries(manager, "/counts/?page_size=100")
