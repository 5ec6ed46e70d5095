"""Roles and location assignments (SPEC §10): CASHIER cannot adjust or receive,
VIEWER reads only, a member assigned to some locations touches and sees only those."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.tenants.models import Role

RECEIPTS = "/api/v1/inventory/receipts"
ADJUSTMENTS = "/api/v1/inventory/adjustments"


def receipt(location, variant, qty="1"):
    return {"location_id": location.pk, "lines": [{"variant_id": variant.pk, "qty": qty}]}


def adjustment(location, variant, delta="-1"):
    return {
        "location_id": location.pk,
        "reason": "damage",
        "lines": [{"variant_id": variant.pk, "delta": delta}],
    }


@pytest.fixture
def stocked(variant, store, warehouse, stock):
    stock(variant, store, 5)
    stock(variant, warehouse, 7)
    return variant


@pytest.mark.parametrize("role", [Role.CASHIER, Role.VIEWER])
def test_cashier_and_viewer_cannot_receive_or_adjust(client_for, role, stocked, store):
    client = client_for(role)
    rows = StockLedger.objects.count()
    for url, body in (
        (RECEIPTS, receipt(store, stocked)),
        (ADJUSTMENTS, adjustment(store, stocked)),
    ):
        response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"{role}-{url}")
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
    assert StockLedger.objects.count() == rows
    assert InventoryItem.objects.get(location=store, variant=stocked).on_hand == Decimal("5")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CASHIER, Role.MANAGER, Role.OWNER])
def test_every_role_reads(client_for, role, stocked):
    client = client_for(role)
    for url in (
        "/api/v1/inventory/stock",
        "/api/v1/inventory/ledger",
        "/api/v1/variants",
        "/api/v1/products",
        "/api/v1/locations",
        "/api/v1/categories",
        "/api/v1/tax-categories",
        "/api/v1/auth/me",
    ):
        assert client.get(url).status_code == 200, url


def test_viewer_cannot_write_master_data(viewer_client, stocked, store):
    for method, url, body in (
        ("post", "/api/v1/locations", {"code": "NEW", "name": "New"}),
        ("patch", f"/api/v1/locations/{store.pk}", {"name": "Renamed"}),
        ("delete", f"/api/v1/locations/{store.pk}", None),
        ("post", "/api/v1/categories", {"name": "New"}),
        ("patch", f"/api/v1/variants/{stocked.pk}", {"price": "1"}),
        ("patch", f"/api/v1/products/{stocked.product_id}", {"name": "x"}),
    ):
        response = getattr(viewer_client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url)
    store.refresh_from_db()
    stocked.refresh_from_db()
    assert store.name == "High Street" and stocked.price == Decimal("10.00")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OWNER])
def test_managers_and_owners_receive_and_adjust(client_for, role, stocked, store):
    client = client_for(role)
    assert client.post(RECEIPTS, receipt(store, stocked, "2"), format="json").status_code == 201
    assert client.post(ADJUSTMENTS, adjustment(store, stocked), format="json").status_code == 201
    assert InventoryItem.objects.get(location=store, variant=stocked).on_hand == Decimal("6")


def test_location_restricted_manager_touches_only_their_locations(
    client_for, stocked, store, warehouse
):
    client = client_for(Role.MANAGER, locations=[warehouse])
    rows = StockLedger.objects.count()
    for url, body in (
        (RECEIPTS, receipt(store, stocked)),
        (ADJUSTMENTS, adjustment(store, stocked)),
    ):
        response = client.post(url, body, format="json")
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert StockLedger.objects.count() == rows
    assert client.post(RECEIPTS, receipt(warehouse, stocked), format="json").status_code == 201

    stock_rows = client.get("/api/v1/inventory/stock").json()["results"]
    assert {r["location_id"] for r in stock_rows} == {warehouse.pk}
    assert client.get(f"/api/v1/inventory/stock?location_id={store.pk}").json()["results"] == []
    ledger_rows = client.get("/api/v1/inventory/ledger").json()["results"]
    assert ledger_rows and {r["location_id"] for r in ledger_rows} == {warehouse.pk}
    csv_text = b"".join(client.get("/api/v1/inventory/stock?format=csv").streaming_content).decode()
    assert "STORE1" not in csv_text and "WH1" in csv_text

    assert [r["id"] for r in client.get("/api/v1/locations").json()["results"]] == [warehouse.pk]
    assert client.get(f"/api/v1/locations/{store.pk}").status_code == 403
    assert (
        client.patch(
            f"/api/v1/locations/{store.pk}", {"name": "Mine now"}, format="json"
        ).status_code
        == 403
    )
    store_item = InventoryItem.objects.get(location=store, variant=stocked)
    assert client.get(f"/api/v1/inventory/stock/{store_item.pk}").status_code == 403
    me = client.get("/api/v1/auth/me").json()
    assert me["location_ids"] == [warehouse.pk]


def test_unauthenticated_requests_are_401(stocked, store):
    client = APIClient()
    for method, url in (
        ("get", "/api/v1/inventory/stock"),
        ("get", "/api/v1/inventory/ledger"),
        ("post", RECEIPTS),
        ("post", ADJUSTMENTS),
        ("get", "/api/v1/variants"),
        ("delete", "/api/v1/auth/token"),
        ("get", "/api/v1/auth/me"),
    ):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Bearer"


def test_deactivated_membership_loses_access_immediately(manager_client, stocked, store):
    manager_client.membership.is_active = False
    manager_client.membership.save()
    assert manager_client.get("/api/v1/inventory/stock").status_code == 401
    assert manager_client.post(RECEIPTS, receipt(store, stocked), format="json").status_code == 401
