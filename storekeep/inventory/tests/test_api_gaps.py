"""Issue 15 items 3 and 4: write-offs over HTTP, one ledger row by id, ``ordering`` on the
stock and reorder lists, the overview's ``category`` and ``search``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from storekeep.inventory.models import InventoryItem, Lot, StockLedger
from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.testing.http import csv_text

WRITE_OFFS = "/api/v1/inventory/write-offs"
LEDGER = "/api/v1/inventory/ledger"
STOCK = "/api/v1/inventory/stock"
REORDER = "/api/v1/inventory/reorder_suggestions"
OVERVIEW = "/api/v1/inventory/overview"
MOVEMENTS = "/api/v1/reports/movements"


def on_hand(variant, location) -> Decimal:
    return InventoryItem.objects.get(variant=variant, location=location).on_hand


# --- write-offs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "ref_type", "column"),
    [
        ("spoilage", "WASTE", "waste"),
        ("damage", "WASTE", "waste"),
        ("theft", "WASTE", "waste"),
        ("other", "WASTE", "waste"),
        ("expiry", "EXPIRY", "expired"),
    ],
)
def test_write_off_writes_waste_or_expiry_rows_seen_by_the_movement_report(
    manager_client, variant, store, stock, reason, ref_type, column
):
    stock(variant, store, 10)
    body = {
        "location_id": store.pk,
        "reason": reason,
        "note": "fridge failed",
        "lines": [{"variant_id": variant.pk, "qty": "3"}],
    }
    response = manager_client.post(WRITE_OFFS, body, format="json")
    assert response.status_code == 201, response.content
    row = response.json()["ledger"][0]
    assert (row["ref_type"], row["reason"], row["qty_delta"]) == (ref_type, reason, "-3.000")
    assert row["note"] == "fridge failed"
    assert on_hand(variant, store) == Decimal("7")
    today = timezone.localdate().isoformat()
    report = manager_client.get(MOVEMENTS, {"date_from": today, "date_to": today}).json()
    line = next(r for r in report["results"] if r["variant_id"] == variant.pk)
    assert line[column] == "-3.000"
    assert line["adjustments"] == "0.000"


def test_write_off_takes_the_named_lot(manager_client, tenant, store, stock):
    milk = factories.VariantFactory(tenant=tenant, sku="MILK", track_lots=True)
    stock(milk, store, 4, lot_code="A", expiry_date=timezone.localdate())
    stock(milk, store, 6, lot_code="B", expiry_date=timezone.localdate())
    lot_b = Lot.objects.get(variant=milk, lot_code="B")
    body = {
        "location_id": store.pk,
        "reason": "expiry",
        "lines": [{"variant_id": milk.pk, "qty": "2", "lot_id": lot_b.pk}],
    }
    response = manager_client.post(WRITE_OFFS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["ledger"][0]["lot_id"] == lot_b.pk
    lot_b.refresh_from_db()
    assert lot_b.qty == Decimal("4") and Lot.objects.get(variant=milk, lot_code="A").qty == 4


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"reason": "correction"}, 400, "validation_error"),
        ({"reason": "initial"}, 400, "validation_error"),
        ({"lines": [{"qty": "1"}]}, 400, "validation_error"),
        ({"lines": []}, 400, "validation_error"),
        ({"qty": "0"}, 400, "validation_error"),
        ({"qty": "-2"}, 400, "validation_error"),
        ({"qty": "1.0001"}, 400, "validation_error"),
        ({"qty": "11"}, 409, "insufficient_stock"),
        ({"lot_id": 987654}, 400, None),
    ],
)
def test_write_off_refuses_bad_input_and_changes_nothing(
    manager_client, variant, store, stock, change, status, code
):
    stock(variant, store, 10)
    line = {"variant_id": variant.pk, "qty": change.get("qty", "1")}
    if "lot_id" in change:
        line["lot_id"] = change["lot_id"]
    body = {"location_id": store.pk, "reason": change.get("reason", "damage")}
    body["lines"] = change.get("lines", [line])
    before = StockLedger.objects.count()
    response = manager_client.post(WRITE_OFFS, body, format="json")
    assert response.status_code // 100 == 4 and (
        response.status_code == status or status == 400 and code is None
    ), response.content
    if code:
        assert response.json()["code"] == code
    assert StockLedger.objects.count() == before
    assert on_hand(variant, store) == Decimal("10")


def test_write_off_roles_and_locations(client_for, variant, store, warehouse, stock):
    stock(variant, store, 5)
    body = {
        "location_id": store.pk,
        "reason": "theft",
        "lines": [{"variant_id": variant.pk, "qty": "1"}],
    }
    assert client_for(Role.VIEWER).post(WRITE_OFFS, body, format="json").status_code == 403
    assert client_for(Role.CASHIER).post(WRITE_OFFS, body, format="json").status_code == 403
    assert client_for(Role.INTEGRATION).post(WRITE_OFFS, body, format="json").status_code == 403
    elsewhere = client_for(Role.MANAGER, locations=[warehouse])
    assert elsewhere.post(WRITE_OFFS, body, format="json").status_code == 403
    assert on_hand(variant, store) == Decimal("5")


def test_write_off_honours_idempotency_key(manager_client, variant, store, stock):
    stock(variant, store, 5)
    body = {
        "location_id": store.pk,
        "reason": "damage",
        "lines": [{"variant_id": variant.pk, "qty": "1"}],
    }
    first = manager_client.post(WRITE_OFFS, body, format="json", HTTP_IDEMPOTENCY_KEY="wo-1")
    again = manager_client.post(WRITE_OFFS, body, format="json", HTTP_IDEMPOTENCY_KEY="wo-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert on_hand(variant, store) == Decimal("4")


# --- ledger/{id} ---------------------------------------------------------------------


def test_ledger_row_by_id(viewer_client, client_for, variant, store, warehouse, stock):
    row = stock(variant, store, 5)[0]
    response = viewer_client.get(f"{LEDGER}/{row.pk}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["id"] == row.pk and data["ref_type"] == "RECEIPT" and data["qty_delta"] == "5.000"
    assert data["balance_after"] == "5.000" and data["sku"] == variant.sku
    # the list's row for the same id is the same body
    listed = viewer_client.get(LEDGER, {"ref_type": "RECEIPT"}).json()["results"][0]
    assert listed == data
    assert viewer_client.get(f"{LEDGER}/999999").status_code == 404
    assert viewer_client.get(f"{LEDGER}/abc").json()["code"] == "not_found"
    elsewhere = client_for(Role.VIEWER, locations=[warehouse])
    assert elsewhere.get(f"{LEDGER}/{row.pk}").status_code == 403


# --- ordering ----------------------------------------------------------------------


@pytest.fixture
def three_items(tenant, store, stock):
    variants = {}
    for sku, qty in (("B-MID", 5), ("A-LOW", 1), ("C-HIGH", 9)):
        variants[sku] = factories.VariantFactory(
            tenant=tenant, sku=sku, reorder_point=Decimal("20")
        )
        stock(variants[sku], store, qty)
    return variants


@pytest.mark.parametrize(
    ("ordering", "skus"),
    [
        ("available", ["A-LOW", "B-MID", "C-HIGH"]),
        ("-available", ["C-HIGH", "B-MID", "A-LOW"]),
        ("sku", ["A-LOW", "B-MID", "C-HIGH"]),
        ("-sku", ["C-HIGH", "B-MID", "A-LOW"]),
        ("-on_hand", ["C-HIGH", "B-MID", "A-LOW"]),
    ],
)
def test_stock_and_reorder_lists_take_ordering(manager_client, three_items, ordering, skus):
    stock_rows = manager_client.get(STOCK, {"ordering": ordering}).json()["results"]
    assert [r["sku"] for r in stock_rows] == skus
    reorder_rows = manager_client.get(REORDER, {"ordering": ordering}).json()["results"]
    assert [r["sku"] for r in reorder_rows] == skus
    text = csv_text(manager_client.get(STOCK, {"ordering": ordering, "format": "csv"}))
    assert [line.split(",")[4] for line in text.splitlines()[1:]] == skus


def test_reorder_list_orders_by_suggested_qty(manager_client, three_items):
    rows = manager_client.get(REORDER, {"ordering": "-suggested_qty"}).json()["results"]
    assert [r["sku"] for r in rows] == ["A-LOW", "B-MID", "C-HIGH"]


@pytest.mark.parametrize("url", [STOCK, REORDER])
@pytest.mark.parametrize("value", ["price", "-tenant", "available,sku", "on_hand;drop"])
def test_unknown_ordering_is_a_400(manager_client, three_items, url, value):
    response = manager_client.get(url, {"ordering": value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error" and "ordering" in body["details"]


def test_stock_list_query_count_does_not_depend_on_ordering(
    manager_client, three_items, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        assert manager_client.get(STOCK, {"ordering": "-available"}).status_code == 200


# --- overview category / search --------------------------------------------------------


def test_overview_honours_category_and_search(manager_client, tenant, store, stock):
    fruit = factories.CategoryFactory(tenant=tenant, name="Fruit")
    apple = factories.VariantFactory(
        tenant=tenant,
        sku="APPLE",
        product__category=fruit,
        product__name="Apple",
        cost=Decimal("1"),
    )
    pear = factories.VariantFactory(
        tenant=tenant, sku="PEAR", product__name="Pear", cost=Decimal("2")
    )
    stock(apple, store, 3, unit_cost=1)
    stock(pear, store, 4, unit_cost=2)
    everything = manager_client.get(OVERVIEW).json()
    assert everything["total_skus"] == 2 and everything["total_qty"] == "7.000"
    by_category = manager_client.get(OVERVIEW, {"category": fruit.pk}).json()
    assert by_category["total_skus"] == 1 and by_category["total_qty"] == "3.000"
    assert by_category["total_value"] == "3.00"
    by_search = manager_client.get(OVERVIEW, {"search": "pea"}).json()
    assert by_search["total_skus"] == 1 and by_search["total_qty"] == "4.000"
    assert manager_client.get(OVERVIEW, {"search": "nothing-like-it"}).json()["total_skus"] == 0
    assert manager_client.get(OVERVIEW, {"category": "x"}).status_code == 400


def test_overview_search_counts_only_documents_with_a_matching_line(
    manager_client, tenant, store, warehouse, stock
):
    from storekeep.inventory.services.transfers import (
        TransferLineInput,
        transfer_create,
        transfer_send,
    )

    apple = factories.VariantFactory(tenant=tenant, sku="APPLE")
    pear = factories.VariantFactory(tenant=tenant, sku="PEAR")
    stock(apple, store, 3)
    stock(pear, store, 3)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=store.pk,
        to_location_id=warehouse.pk,
        lines=[TransferLineInput(apple.pk, Decimal("1"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    assert manager_client.get(OVERVIEW, {"search": "APPLE"}).json()["transfers_in_transit"] == 1
    assert manager_client.get(OVERVIEW, {"search": "PEAR"}).json()["transfers_in_transit"] == 0
