"""Bad input gets a 4xx with the SPEC §10 error shape and changes nothing."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from storekeep.catalog.models import Category, Product, Variant
from storekeep.inventory.models import InventoryItem, Lot, StockLedger
from storekeep.locations.models import Location
from storekeep.testing import factories

RECEIPTS = "/api/v1/inventory/receipts"
ADJUSTMENTS = "/api/v1/inventory/adjustments"


def snapshot() -> dict:
    return {
        "ledger": StockLedger.objects.count(),
        "items": sorted(
            InventoryItem.objects.values_list(
                "pk", "on_hand", "reserved", "version", "avg_unit_cost"
            )
        ),
        "lots": Lot.objects.count(),
        "variants": sorted(
            Variant.objects.values_list("pk", "sku", "price", "barcode", "is_active")
        ),
        "products": Product.objects.count(),
        "categories": Category.objects.count(),
        "locations": sorted(Location.objects.values_list("pk", "code", "name", "is_active")),
    }


def assert_rejected(response, before, status=None):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert isinstance(body["code"], str) and body["message"] and isinstance(body["details"], dict)
    assert snapshot() == before
    return body


@pytest.fixture
def world(tenant, store, variant, other_tenant, stock):
    stock(variant, store, 5, unit_cost="2")
    return {
        "variant": variant,
        "store": store,
        "foreign_variant": factories.VariantFactory(tenant=other_tenant),
        "foreign_store": factories.LocationFactory(tenant=other_tenant),
    }


def receipt(world, **line):
    return {
        "location_id": world["store"].pk,
        "lines": [{"variant_id": world["variant"].pk, "qty": "1", **line}],
    }


def adjustment(world, **line):
    base = {"variant_id": world["variant"].pk}
    base.update(line if line else {"delta": "1"})
    return {"location_id": world["store"].pk, "reason": "correction", "lines": [base]}


BAD_QTY = [
    "-1",
    "0",
    "abc",
    "",
    None,
    True,
    [1],
    {"v": 1},
    "NaN",
    "Infinity",
    "-Infinity",
    "1e20",
    1e20,
    "1.0001",
    "0.0000001",
    "99999999999999999999",
    "1,5",
    " ",
    "0x10",
]


@pytest.mark.parametrize("qty", BAD_QTY, ids=[repr(q) for q in BAD_QTY])
def test_receipt_rejects_bad_quantities(manager_client, world, qty):
    before = snapshot()
    body = assert_rejected(
        manager_client.post(RECEIPTS, receipt(world, qty=qty), format="json"), before, 400
    )
    assert body["code"] == "validation_error"
    assert "lines" in body["details"]


@pytest.mark.parametrize(
    "delta", ["0", "abc", "NaN", "1e20", "-1e20", "0.0001", None, False], ids=lambda v: repr(v)
)
def test_adjustment_rejects_bad_deltas(manager_client, world, delta):
    before = snapshot()
    assert_rejected(
        manager_client.post(ADJUSTMENTS, adjustment(world, delta=delta), format="json"), before, 400
    )


@pytest.mark.parametrize("on_hand", ["-1", "abc", "Infinity", "1e15"], ids=lambda v: repr(v))
def test_adjustment_rejects_bad_absolute_quantities(manager_client, world, on_hand):
    before = snapshot()
    assert_rejected(
        manager_client.post(ADJUSTMENTS, adjustment(world, on_hand=on_hand), format="json"),
        before,
        400,
    )


def _cases(world):
    v, s = world["variant"].pk, world["store"].pk
    ok_line = {"variant_id": v, "qty": "1"}
    return {
        # unknown / foreign ids
        "unknown variant": (
            RECEIPTS,
            {"location_id": s, "lines": [{"variant_id": 987654321, "qty": "1"}]},
        ),
        "foreign variant": (
            RECEIPTS,
            {"location_id": s, "lines": [{"variant_id": world["foreign_variant"].pk, "qty": "1"}]},
        ),
        "unknown location": (RECEIPTS, {"location_id": 987654321, "lines": [ok_line]}),
        "foreign location": (
            RECEIPTS,
            {"location_id": world["foreign_store"].pk, "lines": [ok_line]},
        ),
        "huge variant id": (
            RECEIPTS,
            {"location_id": s, "lines": [{"variant_id": 10**30, "qty": "1"}]},
        ),
        "negative location id": (RECEIPTS, {"location_id": -1, "lines": [ok_line]}),
        "second line bad": (
            RECEIPTS,
            {"location_id": s, "lines": [ok_line, {"variant_id": 987654321, "qty": "1"}]},
        ),
        # wrong types
        "body is a list": (RECEIPTS, [ok_line]),
        "body is a string": (RECEIPTS, "lines"),
        "body is a number": (RECEIPTS, 42),
        "lines is a string": (RECEIPTS, {"location_id": s, "lines": "variant 1 x 1"}),
        "lines is an object": (RECEIPTS, {"location_id": s, "lines": ok_line}),
        "line is a list": (RECEIPTS, {"location_id": s, "lines": [[v, "1"]]}),
        "variant_id is text": (
            RECEIPTS,
            {"location_id": s, "lines": [{"variant_id": "abc", "qty": "1"}]},
        ),
        "variant_id is a float": (
            RECEIPTS,
            {"location_id": s, "lines": [{"variant_id": 1.5, "qty": "1"}]},
        ),
        "variant_id is a list": (
            RECEIPTS,
            {"location_id": s, "lines": [{"variant_id": [v], "qty": "1"}]},
        ),
        "location_id is an object": (RECEIPTS, {"location_id": {"id": s}, "lines": [ok_line]}),
        "unit_cost negative": (RECEIPTS, receipt(world, unit_cost="-1")),
        "unit_cost NaN": (RECEIPTS, receipt(world, unit_cost="NaN")),
        "expiry not a date": (RECEIPTS, receipt(world, expiry_date="next tuesday")),
        "unknown unit": (RECEIPTS, receipt(world, unit="barrel")),
        "note too long": (RECEIPTS, {**receipt(world), "note": "x" * 300}),
        "too many lines": (RECEIPTS, {"location_id": s, "lines": [ok_line] * 1001}),
        # missing fields
        "empty object": (RECEIPTS, {}),
        "no lines": (RECEIPTS, {"location_id": s}),
        "empty lines": (RECEIPTS, {"location_id": s, "lines": []}),
        "no location": (RECEIPTS, {"lines": [ok_line]}),
        "line without qty": (RECEIPTS, {"location_id": s, "lines": [{"variant_id": v}]}),
        "line without variant": (RECEIPTS, {"location_id": s, "lines": [{"qty": "1"}]}),
        "null lines": (RECEIPTS, {"location_id": s, "lines": None}),
        "adjustment without reason": (
            ADJUSTMENTS,
            {"location_id": s, "lines": [{"variant_id": v, "delta": "1"}]},
        ),
        "adjustment unknown reason": (ADJUSTMENTS, {**adjustment(world), "reason": "vandalism"}),
        "adjustment delta and on_hand": (ADJUSTMENTS, adjustment(world, delta="1", on_hand="3")),
        "adjustment neither": (
            ADJUSTMENTS,
            {"location_id": s, "reason": "correction", "lines": [{"variant_id": v}]},
        ),
        "expected_version without on_hand": (
            ADJUSTMENTS,
            adjustment(world, delta="1", expected_version=1),
        ),
        "expected_version negative": (
            ADJUSTMENTS,
            adjustment(world, on_hand="1", expected_version=-1),
        ),
        "adjustment foreign variant": (
            ADJUSTMENTS,
            adjustment(world, variant_id=world["foreign_variant"].pk, delta="1"),
        ),
    }


CASE_NAMES = list(
    _cases(
        {
            name: SimpleNamespace(pk=1)
            for name in ("variant", "store", "foreign_variant", "foreign_store")
        }
    )
)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_wrong_types_missing_fields_and_foreign_ids_are_400(manager_client, world, case):
    url, body = _cases(world)[case]
    before = snapshot()
    result = assert_rejected(manager_client.post(url, body, format="json"), before, 400)
    assert result["code"] == "validation_error"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"location_id": 1, "lines": [',
        b"{'location_id': 1}",
        b"NaN",
        b'{"location_id": 1, "lines": [{"variant_id": 1, "qty": NaN}]}',
        b'{"location_id": 1, "lines": [{"variant_id": 1, "qty": Infinity}]}',
        b"\xff\xfe",
        b"null garbage",
    ],
)
def test_malformed_json_is_400_malformed_request(manager_client, world, raw):
    before = snapshot()
    body = assert_rejected(
        manager_client.generic("POST", RECEIPTS, raw, content_type="application/json"), before, 400
    )
    assert body["code"] == "malformed_request"


def test_wrong_content_type_is_415(manager_client, world):
    before = snapshot()
    response = manager_client.generic(
        "POST", RECEIPTS, json.dumps(receipt(world)), content_type="text/plain"
    )
    assert assert_rejected(response, before, 415)["code"] == "unsupported_media_type"


def test_empty_body_is_400(manager_client, world):
    before = snapshot()
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        response = manager_client.generic("POST", RECEIPTS, b"", content_type=content_type)
        assert_rejected(response, before, 400)


def test_too_long_idempotency_key_is_400(manager_client, world):
    before = snapshot()
    response = manager_client.post(
        RECEIPTS, receipt(world), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300
    )
    assert_rejected(response, before, 400)


@pytest.mark.django_db(
    transaction=True
)  # the real, outermost transaction must roll back the item it created
def test_insufficient_stock_is_409_and_changes_nothing(manager_client, world, tenant):
    other = factories.VariantFactory(tenant=tenant, sku="OTHER")
    before = snapshot()
    body = {
        "location_id": world["store"].pk,
        "reason": "damage",
        "lines": [
            {"variant_id": other.pk, "delta": "2"},
            {"variant_id": world["variant"].pk, "delta": "-6"},
        ],
    }
    result = assert_rejected(manager_client.post(ADJUSTMENTS, body, format="json"), before, 409)
    assert result["code"] == "insufficient_stock"


def test_unsupported_methods_are_405_with_the_error_shape(manager_client, world):
    before = snapshot()
    assert (
        assert_rejected(manager_client.get(RECEIPTS), before, 405)["code"] == "method_not_allowed"
    )
    assert_rejected(manager_client.delete("/api/v1/inventory/stock"), before, 405)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=99999",
        "page_size=abc",
        "location_id=1.5",
        "low_stock=maybe",
        "variant_id=99999999999999999999999",
        "category=-1",
    ],
)
def test_bad_list_queries_are_4xx(manager_client, world, query):
    response = manager_client.get(f"/api/v1/inventory/stock?{query}")
    if query.startswith("page_size"):
        assert response.status_code == 200  # ignored, as DRF does for page_size
        return
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        "date_from=31/12/2020",
        "date_to=2020-13-45",
        "ref_type=sale",
        "location_id=abc",
    ],
)
def test_bad_ledger_queries_are_4xx(manager_client, world, query):
    response = manager_client.get(f"/api/v1/inventory/ledger?{query}")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize(
    "body",
    [
        [],
        "x",
        {"sku": None},
        {"price": "NaN"},
        {"price": "1e20"},
        {"product_id": 987654321},
        {"reorder_point": "-1"},
        {"barcode": ["1"]},
    ],
)
def test_crud_updates_with_bad_bodies_change_nothing(manager_client, world, body):
    before = snapshot()
    response = manager_client.patch(f"/api/v1/variants/{world['variant'].pk}", body, format="json")
    assert_rejected(response, before, 400)


def test_crud_create_with_malformed_json(manager_client, world):
    before = snapshot()
    response = manager_client.generic(
        "POST", "/api/v1/locations", b'{"code": "X",', content_type="application/json"
    )
    assert assert_rejected(response, before, 400)["code"] == "malformed_request"
    response = manager_client.post(
        "/api/v1/locations", {"code": "", "name": "No code"}, format="json"
    )
    assert_rejected(response, before, 400)
    response = manager_client.post(
        "/api/v1/locations", {"code": "X", "name": "n", "type": "SHOP"}, format="json"
    )
    assert_rejected(response, before, 400)
    response = manager_client.post(
        "/api/v1/locations", {"code": "X", "name": "n", "settings": [1]}, format="json"
    )
    assert_rejected(response, before, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/variants/{}",
        "/api/v1/locations/{}",
        "/api/v1/inventory/stock/{}",
        "/api/v1/products/{}",
    ],
)
@pytest.mark.parametrize("pk", ["99999999999999999999999", "-1", "abc", "1.5", "0", "%20"])
def test_unknown_or_malformed_ids_in_urls_are_404(manager_client, world, url, pk):
    response = manager_client.get(url.format(pk))
    assert response.status_code == 404, (url.format(pk), response.status_code)
    assert response.json()["code"] == "not_found"


def test_unknown_api_urls_answer_the_json_error_shape(manager_client):
    response = manager_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
