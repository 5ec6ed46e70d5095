"""Cycle counts: snapshot at first scan, variance preview, finalize keeps sales made meanwhile (SPEC §6)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import CountSession, InventoryItem, LedgerRefType, StockLedger
from storekeep.inventory.selectors import ledger_parity_mismatches
from storekeep.inventory.services import StockLine, record_sale
from storekeep.inventory.services.counts import count_create, count_record_scan
from storekeep.tenants.models import Role
from storekeep.testing import factories

D = Decimal
URL = "/api/v1/inventory/counts"
pytestmark = pytest.mark.django_db


def item(variant, location):
    return InventoryItem.objects.filter(variant=variant, location=location).first()


def reconcile_rows(count_id):
    return list(
        StockLedger.objects.filter(ref_type=LedgerRefType.COUNT_RECONCILE, ref_id=str(count_id))
    )


@pytest.fixture
def scanned(tenant):
    return factories.VariantFactory(
        tenant=tenant, sku="TEA", barcode="5000000000011", cost=D("2.00")
    )


def test_count_with_sales_during_the_count_keeps_the_sales(
    manager_client, cashier_client, tenant, store, variant, scanned, stock
):
    stock(variant, store, 10, unit_cost="4.00")
    stock(scanned, store, 5, unit_cost="2.00")
    created = manager_client.post(
        URL, {"location_id": store.pk, "scope": "FULL_STORE"}, format="json"
    )
    assert created.status_code == 201, created.json()
    count_id = created.json()["id"]
    assert created.json()["status"] == "DRAFT"

    scan = cashier_client.post(
        f"{URL}/{count_id}/lines", {"variant_id": variant.pk, "counted_qty": "8"}, format="json"
    )
    assert scan.status_code == 200, scan.json()
    assert (scan.json()["expected_qty"], scan.json()["counted_qty"]) == ("10.000", "8.000")
    assert CountSession.objects.get(pk=count_id).status == "IN_PROGRESS"
    by_barcode = cashier_client.post(
        f"{URL}/{count_id}/lines", {"barcode": scanned.barcode, "counted_qty": "5"}, format="json"
    )
    assert by_barcode.status_code == 200 and by_barcode.json()["variant_id"] == scanned.pk

    # A sale of 3 after the shelf was counted: on hand 7, the count's expectation stays 10.
    record_sale(
        tenant=tenant, location_id=store.pk, lines=[StockLine(variant.pk, D("3"))], ref_id="S1"
    )
    rescan = cashier_client.post(
        f"{URL}/{count_id}/lines", {"variant_id": variant.pk, "counted_qty": "9"}, format="json"
    )
    assert rescan.json()["expected_qty"] == "10.000"  # snapshot taken at the first scan only

    variance = manager_client.get(f"{URL}/{count_id}/variance").json()
    lines = {line["variant_id"]: line for line in variance["lines"]}
    assert lines[variant.pk]["variance"] == "-1.000"
    assert lines[variant.pk]["variance_value"] == "-4.00"
    assert lines[variant.pk]["on_hand_now"] == "7.000"
    assert lines[scanned.pk]["variance"] == "0.000"
    assert variance["totals"]["net_value"] == "-4.00"

    final = manager_client.post(f"{URL}/{count_id}/finalize")
    assert final.status_code == 200, final.json()
    assert final.json()["status"] == "FINALIZED" and final.json()["ledger_rows"] == 1
    assert item(variant, store).on_hand == D("6")  # 7 − 1: the sale of 3 is kept
    assert item(scanned, store).on_hand == D("5")
    rows = reconcile_rows(count_id)
    assert [(r.variant_id, r.qty_delta, r.reason) for r in rows] == [
        (variant.pk, D("-1"), "correction")
    ]
    assert item(variant, store).last_counted_at is not None
    assert item(scanned, store).last_counted_at is not None  # zero variance: no row, still stamped
    assert ledger_parity_mismatches(tenant=tenant)[0] == []

    twice = manager_client.post(f"{URL}/{count_id}/finalize")
    assert twice.status_code == 409 and twice.json()["code"] == "invalid_state"
    assert len(reconcile_rows(count_id)) == 1
    late = cashier_client.post(
        f"{URL}/{count_id}/lines", {"variant_id": variant.pk, "counted_qty": "1"}, format="json"
    )
    assert late.status_code == 409 and late.json()["code"] == "invalid_state"


def test_count_of_a_variant_never_stocked_here_receives_it(tenant, store, variant, manager_client):
    count = count_create(tenant=tenant, location_id=store.pk)
    count_record_scan(tenant=tenant, count_id=count.pk, variant_id=variant.pk, counted_qty=D("4"))
    assert manager_client.post(f"{URL}/{count.pk}/finalize").status_code == 200
    assert item(variant, store).on_hand == D("4")
    assert [r.qty_delta for r in reconcile_rows(count.pk)] == [D("4")]


def test_add_mode_accumulates_scans(tenant, store, variant, stock, cashier_client):
    stock(variant, store, 2)
    count = count_create(tenant=tenant, location_id=store.pk, scope="ZONE", zone_name="Aisle 1")
    for _ in range(3):
        response = cashier_client.post(
            f"{URL}/{count.pk}/lines",
            {"variant_id": variant.pk, "counted_qty": "1", "mode": "add"},
            format="json",
        )
        assert response.status_code == 200
    assert response.json()["counted_qty"] == "3.000"


def test_second_active_full_store_count_is_409_but_zones_run_side_by_side(
    manager_client, tenant, store, warehouse
):
    first = manager_client.post(
        URL, {"location_id": store.pk, "scope": "FULL_STORE"}, format="json"
    )
    assert first.status_code == 201
    second = manager_client.post(
        URL, {"location_id": store.pk, "scope": "FULL_STORE"}, format="json"
    )
    assert second.status_code == 409 and second.json()["code"] == "count_already_active"
    assert manager_client.post(URL, {"location_id": warehouse.pk}, format="json").status_code == 201
    zones = [
        manager_client.post(
            URL, {"location_id": store.pk, "scope": "ZONE", "zone_name": z}, format="json"
        )
        for z in ("A", "B")
    ]
    assert [z.status_code for z in zones] == [201, 201]
    assert CountSession.objects.filter(location=store).count() == 3
    # once cancelled, a new full-store count may start
    assert manager_client.post(f"{URL}/{first.json()['id']}/cancel").status_code == 200
    assert manager_client.post(URL, {"location_id": store.pk}, format="json").status_code == 201


def test_refusals_change_nothing(
    manager_client, cashier_client, tenant, other_tenant, store, variant, stock
):
    stock(variant, store, 3)
    count = count_create(tenant=tenant, location_id=store.pk)
    url = f"{URL}/{count.pk}"
    empty = manager_client.post(f"{url}/finalize")
    assert empty.status_code == 409 and empty.json()["code"] == "invalid_state"
    foreign = factories.VariantFactory(tenant=other_tenant, barcode="999")
    cases = [
        ({"variant_id": foreign.pk, "counted_qty": "1"}, 404),
        ({"barcode": "999", "counted_qty": "1"}, 404),
        ({"variant_id": variant.pk, "counted_qty": "-1"}, 400),
        ({"variant_id": variant.pk, "counted_qty": "1.0005"}, 400),
        ({"variant_id": variant.pk, "barcode": "x", "counted_qty": "1"}, 400),
        ({"counted_qty": "1"}, 400),
        ({"variant_id": variant.pk}, 400),
    ]
    for body, status in cases:
        response = cashier_client.post(f"{url}/lines", body, format="json")
        assert response.status_code == status, (body, response.json())
        assert set(response.json()) == {"code", "message", "details"}
    assert count.lines.count() == 0
    assert CountSession.objects.get(pk=count.pk).status == "DRAFT"
    untracked = factories.VariantFactory(tenant=tenant, track_inventory=False)
    refused = cashier_client.post(
        f"{url}/lines", {"variant_id": untracked.pk, "counted_qty": "1"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_stocked"
    for body in (
        {"location_id": store.pk, "scope": "ZONE"},
        {"location_id": store.pk, "scope": "ALL"},
        {"location_id": "x"},
    ):
        assert manager_client.post(URL, body, format="json").status_code == 400
    assert manager_client.post(URL, {"location_id": 10**9}, format="json").status_code == 404


def test_finalize_shortfall_beyond_stock_is_409_and_applies_nothing(
    manager_client, tenant, store, variant, scanned, stock
):
    stock(variant, store, 10)
    stock(scanned, store, 4)
    count = count_create(tenant=tenant, location_id=store.pk)
    count_record_scan(tenant=tenant, count_id=count.pk, variant_id=scanned.pk, counted_qty=D("6"))
    count_record_scan(tenant=tenant, count_id=count.pk, variant_id=variant.pk, counted_qty=D("2"))
    record_sale(
        tenant=tenant, location_id=store.pk, lines=[StockLine(variant.pk, D("9"))], ref_id="S9"
    )
    response = manager_client.post(f"{URL}/{count.pk}/finalize")
    assert response.status_code == 409 and response.json()["code"] == "insufficient_stock"
    assert reconcile_rows(count.pk) == []
    assert item(scanned, store).on_hand == D("4") and item(scanned, store).last_counted_at is None
    assert CountSession.objects.get(pk=count.pk).status == "IN_PROGRESS"


def test_roles_location_access_and_tenant_isolation(
    client_for, tenant, other_tenant, store, warehouse, variant
):
    count = count_create(tenant=tenant, location_id=store.pk)
    viewer = client_for(Role.VIEWER)
    assert viewer.get(f"{URL}/{count.pk}").status_code == 200
    assert (
        viewer.post(
            f"{URL}/{count.pk}/lines", {"variant_id": variant.pk, "counted_qty": "1"}, format="json"
        ).status_code
        == 403
    )
    cashier = client_for(Role.CASHIER, locations=[store])
    assert cashier.post(URL, {"location_id": store.pk}, format="json").status_code == 403
    assert cashier.post(f"{URL}/{count.pk}/finalize").status_code == 403
    outsider = client_for(Role.MANAGER, locations=[warehouse])
    assert outsider.get(f"{URL}/{count.pk}").status_code == 403
    assert (
        outsider.post(
            f"{URL}/{count.pk}/lines", {"variant_id": variant.pk, "counted_qty": "1"}, format="json"
        ).status_code
        == 403
    )
    assert outsider.get(URL).json()["count"] == 0
    rival = client_for(Role.OWNER, tenant_=other_tenant)
    assert rival.get(f"{URL}/{count.pk}").status_code == 404
    assert rival.post(f"{URL}/{count.pk}/cancel").status_code == 404
    assert CountSession.objects.get(pk=count.pk).status == "DRAFT"


def test_list_and_variance_csv_constant_queries(manager_client, tenant, store, stock):
    variants = [factories.VariantFactory(tenant=tenant) for _ in range(4)]
    for variant in variants:
        stock(variant, store, 5)
    for index in range(12):
        count = count_create(
            tenant=tenant, location_id=store.pk, scope="ZONE", zone_name=f"Z{index}"
        )
        for variant in variants:
            count_record_scan(
                tenant=tenant, count_id=count.pk, variant_id=variant.pk, counted_qty=D("4")
            )
    manager_client.get(URL)
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(URL, {"page_size": size})
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    csv = manager_client.get(f"{URL}/{count.pk}/variance", {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().strip().splitlines()
    assert (
        lines[0]
        == "variant_id,sku,name,expected_qty,counted_qty,variance,on_hand_now,unit_cost,variance_value"
    )
    assert len(lines) == 5 and lines[1].split(",")[5] == "-1.000"
