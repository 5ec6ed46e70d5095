"""Inventory API: stock list/detail, receipts, adjustments, ledger (SPEC §4, §9, §10)."""

import csv
import io
from decimal import Decimal

import pytest

from storekeep.catalog.models import UnitConversion, Variant
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.tenants.models import Role
from storekeep.testing import factories

RECEIPTS = "/api/v1/inventory/receipts"
ADJUSTMENTS = "/api/v1/inventory/adjustments"
STOCK = "/api/v1/inventory/stock"
LEDGER = "/api/v1/inventory/ledger"


def item_of(variant, location):
    return InventoryItem.objects.get(variant=variant, location=location)


# --- receipts ---------------------------------------------------------------------


def test_receipt_raises_on_hand_writes_ledger_and_returns_rows(manager_client, variant, store):
    body = {
        "location_id": store.pk,
        "reference": "GRN-1",
        "note": "first delivery",
        "lines": [{"variant_id": variant.pk, "qty": "10", "unit_cost": "2.5000"}],
    }
    response = manager_client.post(RECEIPTS, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert len(data["ledger"]) == 1
    row = data["ledger"][0]
    assert (
        row["ref_type"] == "RECEIPT" and row["ref_id"] == "GRN-1" and row["qty_delta"] == "10.000"
    )
    assert row["balance_after"] == "10.000" and row["sku"] == "MUG-RED" and row["line_index"] == 0
    assert row["actor_id"] == manager_client.user.pk
    assert data["items"][0]["on_hand"] == "10.000" and data["items"][0]["version"] == 1
    assert response["ETag"] == '"1"'
    assert item_of(variant, store).on_hand == Decimal("10") and item_of(
        variant, store
    ).avg_unit_cost == Decimal("2.5")


def test_receipt_in_another_unit_is_converted_to_the_stock_unit(manager_client, tenant, store):
    flour = factories.VariantFactory(tenant=tenant, sku="FLOUR", unit=Variant.Unit.KG)
    bottle = factories.VariantFactory(tenant=tenant, sku="WATER")
    UnitConversion.objects.create(tenant=tenant, variant=bottle, unit="case", factor=Decimal("12"))
    body = {
        "location_id": store.pk,
        "lines": [
            {"variant_id": flour.pk, "qty": "2500", "unit": "g"},
            {"variant_id": bottle.pk, "qty": "2", "unit": "case", "unit_cost": "6.00"},
        ],
    }
    response = manager_client.post(RECEIPTS, body, format="json")
    assert response.status_code == 201, response.content
    assert item_of(flour, store).on_hand == Decimal("2.5")
    water = item_of(bottle, store)
    assert water.on_hand == Decimal("24") and water.avg_unit_cost == Decimal(
        "0.5"
    )  # 6.00 per case of 12


def test_unknown_unit_is_400_and_changes_nothing(manager_client, variant, store):
    response = manager_client.post(
        RECEIPTS,
        {
            "location_id": store.pk,
            "lines": [{"variant_id": variant.pk, "qty": "1", "unit": "barrel"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["details"]["lines"]["0"]["unit"]
    assert StockLedger.objects.count() == 0


def test_receipt_of_lot_tracked_variant_creates_lot(manager_client, tenant, store):
    milk = factories.VariantFactory(tenant=tenant, sku="MILK", track_lots=True)
    response = manager_client.post(
        RECEIPTS,
        {
            "location_id": store.pk,
            "lines": [
                {"variant_id": milk.pk, "qty": "6", "lot_code": "L1", "expiry_date": "2030-01-31"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["ledger"][0]["lot_id"] is not None


# --- adjustments --------------------------------------------------------------------


def test_delta_adjustment_with_reason(manager_client, variant, store, stock):
    stock(variant, store, 10)
    response = manager_client.post(
        ADJUSTMENTS,
        {
            "location_id": store.pk,
            "reason": "damage",
            "note": "dropped",
            "lines": [{"variant_id": variant.pk, "delta": "-3"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    row = response.json()["ledger"][0]
    assert (
        row["ref_type"] == "ADJUSTMENT"
        and row["reason"] == "damage"
        and row["qty_delta"] == "-3.000"
    )
    assert item_of(variant, store).on_hand == Decimal("7")


def test_adjustment_below_zero_is_409_insufficient_stock(manager_client, variant, store, stock):
    stock(variant, store, 2)
    response = manager_client.post(
        ADJUSTMENTS,
        {
            "location_id": store.pk,
            "reason": "theft",
            "lines": [{"variant_id": variant.pk, "delta": "-3"}],
        },
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "insufficient_stock"
    assert response.json()["details"]["lines"][0]["variant_id"] == variant.pk
    assert item_of(variant, store).on_hand == Decimal("2") and StockLedger.objects.count() == 1


def test_absolute_set_with_if_match(manager_client, variant, store, stock):
    stock(variant, store, 5)
    item = item_of(variant, store)
    detail = manager_client.get(f"{STOCK}/{item.pk}")
    assert detail.status_code == 200 and detail["ETag"] == f'"{item.version}"'
    body = {
        "location_id": store.pk,
        "reason": "correction",
        "lines": [{"variant_id": variant.pk, "on_hand": "8"}],
    }
    response = manager_client.post(ADJUSTMENTS, body, format="json", HTTP_IF_MATCH=detail["ETag"])
    assert response.status_code == 201, response.content
    assert response.json()["ledger"][0]["qty_delta"] == "3.000"
    assert response["ETag"] == f'"{item.version + 1}"'

    stale = manager_client.post(
        ADJUSTMENTS,
        {**body, "lines": [{"variant_id": variant.pk, "on_hand": "1"}]},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert stale.json()["details"]["current_version"] == item.version + 1
    assert item_of(variant, store).on_hand == Decimal("8")


def test_expected_version_in_the_body_conflicts_too(manager_client, variant, store, stock):
    stock(variant, store, 5)
    response = manager_client.post(
        ADJUSTMENTS,
        {
            "location_id": store.pk,
            "reason": "correction",
            "lines": [{"variant_id": variant.pk, "on_hand": "0", "expected_version": 0}],
        },
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "version_conflict"
    assert item_of(variant, store).on_hand == Decimal("5")


@pytest.mark.parametrize(
    "header,lines",
    [
        ('"abc"', [{"on_hand": "1"}]),
        ('"1"', [{"delta": "1"}]),
        ('"1"', [{"on_hand": "1"}, {"on_hand": "2"}]),
    ],
)
def test_if_match_misuse_is_400(manager_client, variant, store, stock, header, lines):
    stock(variant, store, 5)
    body = {
        "location_id": store.pk,
        "reason": "correction",
        "lines": [{"variant_id": variant.pk, **line} for line in lines],
    }
    response = manager_client.post(ADJUSTMENTS, body, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 400 and "If-Match" in response.json()["details"]
    assert item_of(variant, store).on_hand == Decimal("5")


def test_stock_detail_if_none_match_is_304(viewer_client, variant, store, stock):
    stock(variant, store, 1)
    item = item_of(variant, store)
    response = viewer_client.get(f"{STOCK}/{item.pk}", HTTP_IF_NONE_MATCH=f'"{item.version}"')
    assert response.status_code == 304 and response["ETag"] == f'"{item.version}"'


# --- idempotency ------------------------------------------------------------------


def test_same_idempotency_key_applies_once_and_replays_the_response(manager_client, variant, store):
    body = {"location_id": store.pk, "lines": [{"variant_id": variant.pk, "qty": "4"}]}
    first = manager_client.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="rcpt-1")
    second = manager_client.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="rcpt-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert second.json() == first.json()
    assert item_of(variant, store).on_hand == Decimal("4") and StockLedger.objects.count() == 1

    other = manager_client.post(
        RECEIPTS,
        {**body, "lines": [{"variant_id": variant.pk, "qty": "5"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="rcpt-1",
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert item_of(variant, store).on_hand == Decimal("4")


@pytest.mark.django_db(transaction=True)
def test_failed_request_does_not_burn_its_idempotency_key(manager_client, variant, store, stock):
    stock(variant, store, 1)
    body = {
        "location_id": store.pk,
        "reason": "damage",
        "lines": [{"variant_id": variant.pk, "delta": "-2"}],
    }
    assert (
        manager_client.post(
            ADJUSTMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1"
        ).status_code
        == 409
    )
    stock(variant, store, 5)
    retry = manager_client.post(ADJUSTMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert retry.status_code == 201 and item_of(variant, store).on_hand == Decimal("4")


def test_idempotency_keys_are_per_tenant(manager_client, client_for, other_tenant, variant, store):
    rival_client = client_for(Role.MANAGER, tenant_=other_tenant)
    rival_store = factories.LocationFactory(tenant=other_tenant)
    rival_variant = factories.VariantFactory(tenant=other_tenant)
    ours = manager_client.post(
        RECEIPTS,
        {"location_id": store.pk, "lines": [{"variant_id": variant.pk, "qty": "1"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    theirs = rival_client.post(
        RECEIPTS,
        {"location_id": rival_store.pk, "lines": [{"variant_id": rival_variant.pk, "qty": "1"}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert ours.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs


# --- stock list ---------------------------------------------------------------------


@pytest.fixture
def stocked(tenant, store, warehouse, stock):
    cat = factories.CategoryFactory(tenant=tenant, name="Cups")
    cup = factories.VariantFactory(
        tenant=tenant,
        sku="CUP-1",
        product__category=cat,
        product__tenant=tenant,
        reorder_point=Decimal("5"),
    )
    plate = factories.VariantFactory(tenant=tenant, sku="PLATE-1", barcode="4000")
    stock(cup, store, 3)
    stock(cup, warehouse, 50)
    stock(plate, store, 20)
    return {"cup": cup, "plate": plate, "category": cat}


def stock_rows(client, query=""):
    response = client.get(f"{STOCK}?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_stock_list_rows_and_filters(viewer_client, stocked, store, warehouse):
    rows = stock_rows(viewer_client)
    assert len(rows) == 3
    low = stock_rows(viewer_client, "low_stock=true")
    assert [(r["sku"], r["location_code"]) for r in low] == [("CUP-1", "STORE1")]
    row = low[0]
    assert row["on_hand"] == "3.000" and row["available"] == "3.000" and row["threshold"] == "5.000"
    assert row["is_low_stock"] is True and row["version"] == 1 and row["reserved"] == "0.000"
    assert set(row) >= {
        "id",
        "location_id",
        "variant_id",
        "name",
        "avg_unit_cost",
        "last_movement_at",
        "last_counted_at",
    }
    assert {r["sku"] for r in stock_rows(viewer_client, f"location_id={warehouse.pk}")} == {"CUP-1"}
    assert {
        r["location_code"] for r in stock_rows(viewer_client, f"variant_id={stocked['cup'].pk}")
    } == {"STORE1", "WH1"}
    assert {r["sku"] for r in stock_rows(viewer_client, f"category={stocked['category'].pk}")} == {
        "CUP-1"
    }
    assert {r["sku"] for r in stock_rows(viewer_client, "search=4000")} == {"PLATE-1"}
    assert len(stock_rows(viewer_client, "low_stock=false")) == 2
    assert viewer_client.get(f"{STOCK}?location_id=abc").status_code == 400
    assert viewer_client.get(f"{STOCK}?low_stock=perhaps").status_code == 400


def test_location_restricted_member_sees_only_their_locations(
    client_for, stocked, store, warehouse
):
    client = client_for(Role.MANAGER, locations=[warehouse])
    assert {r["location_code"] for r in stock_rows(client)} == {"WH1"}
    store_item = InventoryItem.objects.filter(location=store).first()
    assert client.get(f"{STOCK}/{store_item.pk}").status_code == 403
    assert {r["location_id"] for r in client.get(LEDGER).json()["results"]} == {warehouse.pk}


def test_stock_csv_export(viewer_client, stocked):
    response = viewer_client.get(f"{STOCK}?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 3 and {r["sku"] for r in rows} == {"CUP-1", "PLATE-1"}
    assert rows[0]["on_hand"] and "is_low_stock" in rows[0]
    bad = viewer_client.get(f"{STOCK}?format=csv&location_id=x")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"


def _query_count(client, url, capture):
    with capture() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_stock_and_ledger_query_counts_do_not_depend_on_page_size(
    viewer_client, tenant, store, stock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(60):
        stock(factories.VariantFactory(tenant=tenant, sku=f"V-{i:02d}"), store, 1)
    capture = lambda: CaptureQueriesContext(connection)  # noqa: E731
    viewer_client.get(STOCK)  # warm the token's last_used_at
    assert (
        _query_count(viewer_client, f"{STOCK}?page_size=5", capture)
        == _query_count(viewer_client, f"{STOCK}?page_size=50", capture)
        <= 4
    )
    assert (
        _query_count(viewer_client, f"{LEDGER}?page_size=5", capture)
        == _query_count(viewer_client, f"{LEDGER}?page_size=50", capture)
        <= 3
    )


# --- ledger -------------------------------------------------------------------------


def test_ledger_filters_and_cursor_pagination(manager_client, variant, store, warehouse, stock):
    stock(variant, store, 10)
    stock(variant, warehouse, 4)
    manager_client.post(
        ADJUSTMENTS,
        {
            "location_id": store.pk,
            "reason": "damage",
            "note": "broken handle",
            "reference": "ADJ-7",
            "lines": [{"variant_id": variant.pk, "delta": "-1"}],
        },
        format="json",
    )

    def ledger(query=""):
        response = manager_client.get(f"{LEDGER}?{query}")
        assert response.status_code == 200, response.content
        return response.json()

    everything = ledger()["results"]
    assert [r["ref_type"] for r in everything] == [
        "ADJUSTMENT",
        "RECEIPT",
        "RECEIPT",
    ]  # newest first
    assert len(ledger(f"location_id={store.pk}")["results"]) == 2
    assert [r["ref_id"] for r in ledger("ref_type=ADJUSTMENT")["results"]] == ["ADJ-7"]
    assert len(ledger("ref_id=ADJ-7")["results"]) == 1
    assert len(ledger("search=handle")["results"]) == 1
    assert len(ledger("search=mug-red")["results"]) == 3
    assert len(ledger("date_from=2000-01-01&date_to=2999-12-31")["results"]) == 3
    assert len(ledger("date_to=2000-01-01")["results"]) == 0
    assert manager_client.get(f"{LEDGER}?date_from=yesterday").status_code == 400
    assert manager_client.get(f"{LEDGER}?ref_type=BOGUS").status_code == 400

    first = ledger("page_size=2")
    assert len(first["results"]) == 2 and first["next"]
    second = manager_client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [everything[2]["id"]]


def test_ledger_csv_export(viewer_client, variant, store, stock):
    stock(variant, store, 2)
    stock(variant, store, 3)
    response = viewer_client.get(f"{LEDGER}?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["balance_after"] for r in rows] == ["5.000", "2.000"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_idempotency_key_apply_once(manager_client, variant, store):
    """Two simultaneous POSTs with the same key: one applies, the other replays it (or is told to retry)."""
    import threading

    from django.db import connection

    body = {"location_id": store.pk, "lines": [{"variant_id": variant.pk, "qty": "3"}]}
    barrier = threading.Barrier(4)
    results = []

    def post():
        try:
            barrier.wait()
            response = manager_client.post(
                RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
            )
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, results
    applied = [body for status, body in results if status == 201]
    assert all(b == applied[0] for b in applied)  # replays are the first response
    assert item_of(variant, store).on_hand == Decimal("3")
    assert StockLedger.objects.filter(variant=variant).count() == 1
