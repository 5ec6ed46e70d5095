"""Back-office stock pages through Django's test client: what they show, the
rules they enforce through the services, and their constant query counts."""

import csv
import io
from decimal import Decimal as D

import pytest

from storekeep.catalog.models import UnitConversion
from storekeep.inventory.models import InventoryItem, Lot, StockLedger
from storekeep.tenants.models import Role
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


def _variants(tenant, n, prefix="W"):
    return [factories.VariantFactory(tenant=tenant, sku=f"{prefix}-{i:03d}") for i in range(n)]


def _csv(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_stock_page_shows_kpis_rows_and_low_stock_badge(web_client, tenant, store, stock):
    plenty, short = _variants(tenant, 2)
    short.reorder_point = D("5")
    short.save()
    stock(plenty, store, 40, unit_cost="2.00")
    stock(short, store, 3, unit_cost="1.00")
    page = web_client(Role.VIEWER).get("/stock/").content.decode()
    assert "SKUs in stock" in page and ">2<" in page
    assert "£83.00" in page  # 40 × 2.00 + 3 × 1.00
    assert page.count('badge-warn">Low stock</span>') == 1
    assert "W-000" in page and "W-001" in page


def test_low_stock_filter_and_csv_export_give_exactly_the_filtered_rows(
    web_client, tenant, store, stock
):
    variants = _variants(tenant, 4)
    for i, variant in enumerate(variants):
        variant.reorder_point = D("10")
        variant.save()
        stock(variant, store, 5 if i % 2 else 50)
    client = web_client(Role.VIEWER)
    page = client.get("/stock/?low=1").content.decode()
    assert "W-001" in page and "W-003" in page and "W-000" not in page
    rows = _csv(client.get("/stock/export.csv?low=1&sort=-sku"))
    assert [r["sku"] for r in rows] == ["W-003", "W-001"]
    assert rows[0]["is_low_stock"] == "true"


def test_stock_list_sorts_by_a_column(web_client, tenant, store, stock):
    a, b, c = _variants(tenant, 3)
    for variant, qty in ((a, 7), (b, 30), (c, 1)):
        stock(variant, store, qty)
    page = web_client(Role.VIEWER).get("/stock/?sort=-on_hand").content.decode()
    assert page.index("W-001") < page.index("W-000") < page.index("W-002")
    assert 'aria-sort="descending"' in page


def test_stock_page_query_count_does_not_grow_with_page_size(
    web_client, tenant, store, warehouse, stock, django_assert_max_num_queries
):
    for variant in _variants(tenant, 60):
        stock(variant, store, 3)
        stock(variant, warehouse, 2)
    client = web_client(Role.VIEWER)
    counts = []
    for size in (25, 100):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/stock/?page_size={size}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get("/stock/?page_size=200&low=1&sort=available")


def test_member_of_some_stores_sees_only_theirs_and_no_other_tenant(
    web_client, tenant, other_tenant, store, warehouse, stock
):
    mine, theirs = _variants(tenant, 2)
    stock(mine, store, 5)
    stock(theirs, warehouse, 5)
    foreign_store = factories.LocationFactory(tenant=other_tenant, code="FOREIGN")
    foreign = factories.VariantFactory(tenant=other_tenant, sku="FOREIGN-SKU")
    stock(foreign, foreign_store, 9)
    client = web_client(Role.MANAGER, locations=[store])
    page = client.get("/stock/").content.decode()
    assert "W-000" in page and "W-001" not in page and "FOREIGN" not in page
    assert client.get(f"/stock/?location={warehouse.pk}").status_code == 403
    assert client.get(f"/stock/{foreign.pk}/").status_code == 404
    assert [r["sku"] for r in _csv(client.get("/stock/export.csv"))] == ["W-000"]


def test_item_page_shows_locations_value_ledger_links_and_chart(
    web_client, tenant, store, warehouse, stock
):
    (variant,) = _variants(tenant, 1)
    stock(variant, store, 10, unit_cost="3.00")
    stock(variant, warehouse, 4, unit_cost="3.00")
    page = web_client(Role.VIEWER).get(f"/stock/{variant.pk}/").content.decode()
    assert "£30.00" in page and "£42.00" in page  # store value, all locations
    assert "<svg" in page and "On hand of W-000 by location" in page
    assert page.count("Receipt</td>") == 2
    assert "Save reorder settings" not in page  # a viewer cannot edit


def test_item_page_ledger_links_a_transfer(web_client, tenant, store, warehouse, stock):
    (variant,) = _variants(tenant, 1)
    stock(variant, warehouse, 10)
    client = web_client(Role.MANAGER)
    response = client.post(
        "/transfers/new/",
        {
            "from_location_id": warehouse.pk,
            "to_location_id": store.pk,
            "lines": "1",
            "line-0-code": variant.sku,
            "line-0-qty": "4",
        },
    )
    transfer_id = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(f"/transfers/{transfer_id}/", {"action": "send"})
    page = client.get(f"/stock/{variant.pk}/?ref_type=TRANSFER_OUT").content.decode()
    assert f'href="/transfers/{transfer_id}/"' in page
    assert "Receipt</td>" not in page


def test_manager_sets_reorder_point_and_viewer_is_refused(web_client, tenant, store, stock):
    (variant,) = _variants(tenant, 1)
    stock(variant, store, 10)
    item = InventoryItem.objects.get(variant=variant, location=store)
    viewer = web_client(Role.VIEWER).post(
        f"/stock/{variant.pk}/", {"item_id": item.pk, "reorder_point": "12"}
    )
    assert viewer.status_code == 403 and b"manager role" in viewer.content
    item.refresh_from_db()
    assert item.reorder_point is None
    manager = web_client(Role.MANAGER)
    response = manager.post(
        f"/stock/{variant.pk}/", {"item_id": item.pk, "reorder_point": "12", "reorder_qty": "24"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.reorder_point, item.reorder_qty) == (D("12"), D("24"))
    bad = manager.post(f"/stock/{variant.pk}/", {"item_id": item.pk, "reorder_point": "-1"})
    assert bad.status_code == 400
    item.refresh_from_db()
    assert item.reorder_point == D("12")


def test_receive_converts_units_and_needs_a_lot_for_lot_tracked_products(web_client, tenant, store):
    plain, tracked = _variants(tenant, 2)
    tracked.track_lots = True
    tracked.save()
    UnitConversion.objects.create(tenant=tenant, variant=plain, unit="case", factor=D("12"))
    client = web_client(Role.MANAGER)
    form = {
        "location_id": store.pk,
        "lines": "2",
        "line-0-code": plain.sku,
        "line-0-qty": "2",
        "line-0-unit": "case",
        "line-0-unit_cost": "24.00",
        "line-1-code": tracked.sku,
        "line-1-qty": "5",
    }
    refused = client.post("/stock/receive/", form)
    assert refused.status_code == 400 and b"give the lot code" in refused.content
    assert not StockLedger.objects.filter(tenant=tenant).exists()
    form.update({"line-1-lot_code": "L1", "line-1-expiry_date": "2030-01-31"})
    assert client.post("/stock/receive/", form).status_code == 302
    item = InventoryItem.objects.get(variant=plain, location=store)
    assert (item.on_hand, item.avg_unit_cost) == (D("24"), D("2.0000"))
    lot = Lot.objects.get(variant=tracked)
    assert (lot.lot_code, str(lot.expiry_date), lot.qty) == ("L1", "2030-01-31", D("5"))


def test_unknown_sku_on_receive_is_a_message_on_the_line(web_client, store):
    response = web_client(Role.MANAGER).post(
        "/stock/receive/",
        {"location_id": store.pk, "lines": "1", "line-0-code": "NOPE", "line-0-qty": "1"},
    )
    assert response.status_code == 400
    assert b"No product with SKU or barcode" in response.content


def test_counted_quantity_with_a_stale_version_is_refused_with_a_clear_message(
    web_client, tenant, store, stock
):
    (variant,) = _variants(tenant, 1)
    stock(variant, store, 10)
    client = web_client(Role.MANAGER)
    page = client.get(f"/stock/{variant.pk}/adjust/{store.pk}/").content.decode()
    version = InventoryItem.objects.get(variant=variant).version
    assert f'name="version" value="{version}"' in page
    stock(variant, store, 5)  # someone receives meanwhile
    response = client.post(
        f"/stock/{variant.pk}/adjust/{store.pk}/",
        {"mode": "count", "on_hand": "8", "version": version, "reason": "correction"},
    )
    assert response.status_code == 409
    assert b"changed since you opened it" in response.content
    assert InventoryItem.objects.get(variant=variant).on_hand == D("15")
    fresh = InventoryItem.objects.get(variant=variant).version
    ok = client.post(
        f"/stock/{variant.pk}/adjust/{store.pk}/",
        {"mode": "count", "on_hand": "8", "version": fresh, "reason": "correction"},
    )
    assert ok.status_code == 302
    assert InventoryItem.objects.get(variant=variant).on_hand == D("8")


def test_write_offs_are_recorded_as_waste_or_expiry(web_client, tenant, store, stock):
    (variant,) = _variants(tenant, 1)
    stock(variant, store, 10)
    client = web_client(Role.MANAGER)
    url = f"/stock/{variant.pk}/adjust/{store.pk}/"
    assert (
        client.post(url, {"mode": "write_off", "qty": "2", "reason": "damage"}).status_code == 302
    )
    assert (
        client.post(url, {"mode": "write_off", "qty": "1", "reason": "expiry"}).status_code == 302
    )
    rows = StockLedger.objects.filter(variant=variant).exclude(ref_type="RECEIPT").order_by("id")
    assert [(r.ref_type, r.reason, r.qty_delta) for r in rows] == [
        ("WASTE", "damage", D("-2")),
        ("EXPIRY", "expiry", D("-1")),
    ]
    too_much = client.post(url, {"mode": "write_off", "qty": "50", "reason": "spoilage"})
    assert too_much.status_code == 409 and b"Not enough stock" in too_much.content
    delta = client.post(url, {"mode": "delta", "delta": "-1"})
    assert delta.status_code == 400 and b"Choose a reason" in delta.content


def test_item_page_query_count_does_not_grow_with_ledger_page_size(
    web_client, tenant, store, stock
):
    (variant,) = _variants(tenant, 1)
    for _ in range(60):
        stock(variant, store, 1)
    client = web_client(Role.VIEWER)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (25, 200):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/stock/{variant.pk}/?page_size={size}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
