"""Reorder suggestions (threshold item → variant → tenant, net of open POs) and POs drafted from them (SPEC §4, §6)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import InventoryItem
from storekeep.purchasing.models import PurchaseOrder, Vendor, VendorVariant
from storekeep.purchasing.services import (
    OrderLineInput,
    ReceiveLineInput,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_submit,
)
from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.testing.http import csv_text

D = Decimal
URL = "/api/v1/inventory/reorder_suggestions"
FROM = "/api/v1/purchasing/orders/from_suggestions"
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(tenant, store, warehouse, stock):
    """A: point 5, qty 20, 3 on hand. B: point 10, no qty, 4 on hand. C: item override 2, 5 on hand.
    E: tenant default 1, 1 on hand (at threshold, nothing to order). F: point 5, 9 on hand (fine)."""
    tenant.default_reorder_point = D("1")
    tenant.save()
    drinks = factories.CategoryFactory(tenant=tenant, name="Drinks")
    make = factories.VariantFactory
    a = make(
        tenant=tenant,
        sku="A",
        reorder_point=D("5"),
        reorder_qty=D("20"),
        cost=D("2"),
        product=factories.ProductFactory(tenant=tenant, category=drinks),
    )
    b = make(tenant=tenant, sku="B", reorder_point=D("10"), cost=D("3"))
    c = make(tenant=tenant, sku="C", reorder_point=D("10"))
    e = make(tenant=tenant, sku="E")
    f = make(tenant=tenant, sku="F", reorder_point=D("5"))
    for variant, qty in ((a, 3), (b, 4), (c, 5), (e, 1), (f, 9)):
        stock(variant, store, qty)
    stock(b, warehouse, 50)
    InventoryItem.objects.filter(variant=c, location=store).update(reorder_point=D("2"))
    v1 = Vendor.objects.create(tenant=tenant, name="V1")
    v2 = Vendor.objects.create(tenant=tenant, name="V2")
    VendorVariant.objects.create(
        tenant=tenant, vendor=v1, variant=a, unit_cost=D("1.9"), is_preferred=True
    )
    VendorVariant.objects.create(
        tenant=tenant, vendor=v2, variant=a, unit_cost=D("1.5"), is_preferred=False
    )
    VendorVariant.objects.create(tenant=tenant, vendor=v2, variant=b, unit_cost=D("2.5"))
    return {"a": a, "b": b, "c": c, "e": e, "f": f, "v1": v1, "v2": v2, "drinks": drinks}


def suggestions(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return {(row["location_id"], row["sku"]): row for row in response.json()["results"]}


def test_suggestions_follow_thresholds_and_quantities(manager_client, shop, store, warehouse):
    rows = suggestions(manager_client)
    assert set(rows) == {(store.pk, "A"), (store.pk, "B")}
    a, b = rows[(store.pk, "A")], rows[(store.pk, "B")]
    assert (a["threshold"], a["available"], a["suggested_qty"], a["reorder_qty"]) == (
        "5.000",
        "3.000",
        "20.000",
        "20.000",
    )
    assert (a["vendor_id"], a["vendor_name"], a["unit_cost"]) == (
        shop["v1"].pk,
        "V1",
        "1.9000",
    )  # preferred wins
    assert (b["threshold"], b["suggested_qty"], b["reorder_qty"]) == ("10.000", "6.000", None)
    assert b["vendor_id"] == shop["v2"].pk and b["is_low_stock"] is True


def test_open_purchase_orders_are_netted_out(manager_client, tenant, shop, store, warehouse):
    b = shop["b"]
    draft = purchase_order_create(
        tenant=tenant,
        vendor_id=shop["v2"].pk,
        location_id=store.pk,
        lines=[OrderLineInput(b.pk, D("2"))],
    )
    partial = purchase_order_create(
        tenant=tenant,
        vendor_id=shop["v2"].pk,
        location_id=store.pk,
        lines=[OrderLineInput(shop["a"].pk, D("30"))],
    )
    purchase_order_submit(tenant=tenant, order_id=partial.pk)
    purchase_order_receive(
        tenant=tenant, order_id=partial.pk, lines=[ReceiveLineInput(shop["a"].pk, D("1"))]
    )
    elsewhere = purchase_order_create(
        tenant=tenant,
        vendor_id=shop["v2"].pk,
        location_id=warehouse.pk,
        lines=[OrderLineInput(b.pk, D("100"))],
    )
    cancelled = purchase_order_create(
        tenant=tenant,
        vendor_id=shop["v2"].pk,
        location_id=store.pk,
        lines=[OrderLineInput(b.pk, D("100"))],
    )
    purchase_order_cancel(tenant=tenant, order_id=cancelled.pk)
    rows = suggestions(manager_client)
    assert rows[(store.pk, "B")]["open_po_qty"] == "2.000"
    assert rows[(store.pk, "B")]["suggested_qty"] == "4.000"  # 10 − 4 − 2
    # A: 4 on hand now, still ≤ 5; 29 still coming covers the reorder quantity of 20 → left out
    assert (store.pk, "A") not in rows
    assert draft.pk and elsewhere.pk


def test_filters_csv_and_location_scope(manager_client, client_for, shop, store, warehouse):
    assert set(suggestions(manager_client, category=shop["drinks"].pk)) == {(store.pk, "A")}
    assert set(suggestions(manager_client, vendor_id=shop["v2"].pk)) == {(store.pk, "B")}
    assert suggestions(manager_client, location_id=warehouse.pk) == {}
    assert manager_client.get(URL, {"location_id": "x"}).status_code == 400
    csv = manager_client.get(URL, {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv_text(csv).strip().splitlines()
    assert lines[0].split(",")[:4] == ["location_id", "location_code", "variant_id", "sku"]
    assert len(lines) == 3
    restricted = client_for(Role.VIEWER, locations=[warehouse])
    assert restricted.get(URL).json()["count"] == 0
    assert restricted.get(URL, {"location_id": store.pk}).status_code == 403


def test_drafting_purchase_orders_from_suggestions(manager_client, tenant, shop, store):
    orphan = factories.VariantFactory(tenant=tenant, sku="G", reorder_point=D("3"))
    InventoryItem.objects.bulk_create(
        [InventoryItem(tenant=tenant, location=store, variant=orphan)]
    )
    response = manager_client.post(FROM, {}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    by_vendor = {order["vendor_id"]: order for order in body["orders"]}
    assert set(by_vendor) == {shop["v1"].pk, shop["v2"].pk}
    assert all(
        order["status"] == "DRAFT" and order["location_id"] == store.pk for order in body["orders"]
    )
    assert [
        (line["variant_id"], line["qty_ordered"], line["unit_cost"])
        for line in by_vendor[shop["v1"].pk]["lines"]
    ] == [(shop["a"].pk, "20.000", "1.9000")]
    assert [
        (line["variant_id"], line["qty_ordered"]) for line in by_vendor[shop["v2"].pk]["lines"]
    ] == [(shop["b"].pk, "6.000")]
    assert [row["sku"] for row in body["skipped"]] == ["G"]
    # the drafts are open orders now: nothing more to suggest but the vendor-less item
    assert set(suggestions(manager_client)) == {(store.pk, "G")}
    again = manager_client.post(FROM, {}, format="json")
    assert again.status_code == 422 and again.json()["code"] == "no_suggestions"
    assert PurchaseOrder.objects.filter(tenant=tenant).count() == 2
    assert manager_client.post(FROM, {"variant_ids": []}, format="json").status_code == 400


def test_from_suggestions_needs_a_manager(client_for, shop):
    assert client_for(Role.CASHIER).post(FROM, {}, format="json").status_code == 403
    assert PurchaseOrder.objects.count() == 0


def test_query_count_does_not_grow_with_page_size(manager_client, tenant, store):
    vendor = Vendor.objects.create(tenant=tenant, name="Bulk")
    for index in range(12):
        variant = factories.VariantFactory(tenant=tenant, reorder_point=D("5"))
        InventoryItem.objects.bulk_create(
            [InventoryItem(tenant=tenant, location=store, variant=variant)]
        )
        if index % 2:
            VendorVariant.objects.create(tenant=tenant, vendor=vendor, variant=variant)
    manager_client.get(URL)
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(URL, {"page_size": size})
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
