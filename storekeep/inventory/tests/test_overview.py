"""Inventory overview KPIs and stock summary (SPEC §9)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.services import StockLine, record_sale, reserve_stock
from storekeep.inventory.services.transfers import TransferLineInput, transfer_create, transfer_send
from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.testing.http import csv_text

D = Decimal
OVERVIEW = "/api/v1/inventory/overview"
SUMMARY = "/api/v1/inventory/stock_summary"
pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(tenant, store, warehouse, stock):
    mug = factories.VariantFactory(tenant=tenant, sku="MUG", reorder_point=D("3"))
    tea = factories.VariantFactory(tenant=tenant, sku="TEA", reorder_point=D("1"))
    gone = factories.VariantFactory(tenant=tenant, sku="ZERO")
    stock(mug, store, 10, unit_cost="2.50")
    stock(mug, warehouse, 4, unit_cost="3.00")
    stock(tea, store, 2, unit_cost="1.3333")
    stock(gone, store, 1, unit_cost="9")
    record_sale(
        tenant=tenant, location_id=store.pk, lines=[StockLine(gone.pk, D("1"))], ref_id="S1"
    )
    reserve_stock(tenant=tenant, location_id=store.pk, variant_id=mug.pk, qty=D("8"))
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(mug.pk, D("1"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    return {"mug": mug, "tea": tea, "gone": gone}


def test_overview_kpis(manager_client, stocked, store, warehouse):
    data = manager_client.get(OVERVIEW).json()
    assert data["total_skus"] == 2  # ZERO has nothing left
    assert data["total_qty"] == "15.000"  # mug 10 + 3, tea 2
    assert data["total_value"] == "36.67"  # 10×2.5 + 3×3 + 2×1.3333
    # mug@store: available 2 ≤ 3; tea@store: 2 > 1; mug@warehouse: 3 ≤ 3; ZERO@store: 0 ≤ default 0
    assert data["low_stock_count"] == 3
    assert data["transfers_in_transit"] == 1
    one = manager_client.get(OVERVIEW, {"location_id": warehouse.pk}).json()
    assert (one["total_skus"], one["total_qty"], one["total_value"], one["low_stock_count"]) == (
        1,
        "3.000",
        "9.00",
        1,
    )
    assert one["transfers_in_transit"] == 1
    assert manager_client.get(OVERVIEW, {"location_id": "x"}).status_code == 400


def test_overview_respects_location_assignment(client_for, stocked, store, warehouse, other_tenant):
    member = client_for(Role.VIEWER, locations=[warehouse])
    assert member.get(OVERVIEW).json()["total_qty"] == "3.000"
    assert member.get(OVERVIEW, {"location_id": store.pk}).status_code == 403
    rival = client_for(Role.OWNER, tenant_=other_tenant)
    assert rival.get(OVERVIEW).json()["total_skus"] == 0


def test_stock_summary_totals_and_breakdown(viewer_client, stocked, store, warehouse):
    response = viewer_client.get(SUMMARY)
    assert response.status_code == 200
    rows = {row["sku"]: row for row in response.json()["results"]}
    assert set(rows) == {"MUG", "TEA", "ZERO"}
    mug = rows["MUG"]
    assert (mug["on_hand"], mug["reserved"], mug["available"], mug["value"]) == (
        "13.000",
        "8.000",
        "5.000",
        "34.00",
    )
    assert mug["is_low_stock"] is True
    by_location = {loc["location_code"]: loc for loc in mug["locations"]}
    assert (
        by_location[store.code]["available"] == "2.000"
        and by_location[store.code]["is_low_stock"] is True
    )
    assert (
        by_location[warehouse.code]["on_hand"] == "3.000"
        and by_location[warehouse.code]["threshold"] == "3.000"
    )
    only_wh = {
        row["sku"]
        for row in viewer_client.get(SUMMARY, {"location_id": warehouse.pk}).json()["results"]
    }
    assert only_wh == {"MUG"}
    assert {
        row["sku"] for row in viewer_client.get(SUMMARY, {"low_stock": "false"}).json()["results"]
    } == {"TEA"}
    assert {
        row["sku"] for row in viewer_client.get(SUMMARY, {"search": "te"}).json()["results"]
    } == {"TEA"}
    csv = viewer_client.get(SUMMARY, {"format": "csv"})
    text = csv_text(csv)
    assert csv["Content-Type"].startswith("text/csv")
    assert (
        text.splitlines()[0]
        == "variant_id,sku,name,on_hand,reserved,available,value,is_low_stock,locations"
    )
    assert (
        f"{store.code}=10.000; {warehouse.code}=3.000" in text
        or f"{warehouse.code}=3.000; {store.code}=10.000" in text
    )


def test_stock_summary_query_count_does_not_grow_with_page_size(
    manager_client, tenant, store, warehouse, stock
):
    for _ in range(12):
        variant = factories.VariantFactory(tenant=tenant)
        stock(variant, store, 2)
        stock(variant, warehouse, 3)
    manager_client.get(SUMMARY)
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(SUMMARY, {"page_size": size})
        assert len(response.json()["results"]) == min(size, 12)
        assert all(len(row["locations"]) == 2 for row in response.json()["results"])
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _summary_as_before(tenant, location_ids=None):
    """The stock summary JSON rows as built before issue 11: model instances, the DRF serializer."""
    from storekeep.catalog.models import Variant
    from storekeep.inventory.api.overview import StockSummarySerializer
    from storekeep.inventory.rules import ZERO, stock_value
    from storekeep.inventory.selectors import stock_level_list

    variants = [
        v
        for v in Variant.objects.filter(tenant=tenant, track_inventory=True)
        .select_related("product")
        .order_by("sku", "pk")
        if stock_level_list(tenant=tenant, location_ids=location_ids).filter(variant=v).exists()
    ]
    rows = []
    for variant in variants:
        locations = [
            {
                "location_id": item.location_id,
                "location_code": item.location.code,
                "on_hand": item.on_hand,
                "reserved": item.reserved,
                "available": item.available_qty,
                "threshold": item.threshold,
                "is_low_stock": item.is_low_stock,
                "avg_unit_cost": item.avg_unit_cost,
                "value": stock_value(item.on_hand, item.avg_unit_cost),
            }
            for item in stock_level_list(tenant=tenant, location_ids=location_ids).filter(
                variant=variant
            )
        ]
        rows.append(
            {
                "variant_id": variant.pk,
                "sku": variant.sku,
                "name": variant.display_name,
                "on_hand": sum((loc["on_hand"] for loc in locations), ZERO),
                "reserved": sum((loc["reserved"] for loc in locations), ZERO),
                "available": sum((loc["available"] for loc in locations), ZERO),
                "value": sum((loc["value"] for loc in locations), ZERO),
                "is_low_stock": any(loc["is_low_stock"] for loc in locations),
                "locations": locations,
            }
        )
    return StockSummarySerializer(rows, many=True).data


def test_stock_summary_json_equals_the_serializer_path(
    tenant, viewer_client, client_for, stocked, store, warehouse
):
    import json

    factories.VariantFactory(tenant=tenant, sku="NO-ITEMS")  # no stock row: left out
    body = viewer_client.get(SUMMARY, {"page_size": 500}).content
    expected = json.loads(json.dumps(_summary_as_before(tenant)), object_pairs_hook=list)
    assert dict(json.loads(body, object_pairs_hook=list))["results"] == expected  # key order too
    member = client_for(Role.VIEWER, locations=[warehouse])
    scoped = member.get(SUMMARY, {"page_size": 500}).json()["results"]
    assert scoped == json.loads(json.dumps(_summary_as_before(tenant, [warehouse.pk])))
    assert [row["sku"] for row in scoped] == ["MUG"]
