"""Issue 12 item 5: a piece or a portion is sold, moved, counted and ordered in whole numbers.

Weighed and measured goods (kg, g, L, mL, m) keep up to 3 decimals. A fractional quantity of a
whole-number unit is 400 ``fractional_quantity`` everywhere and changes nothing.
"""

from decimal import Decimal as D

import pytest

from storekeep.catalog.models import UnitConversion, Variant
from storekeep.catalog.units import require_whole_units
from storekeep.core.errors import ValidationFailed
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.pos.models import Sale
from storekeep.pos.tests.factories import bearer, build_world
from storekeep.purchasing.models import PurchaseOrder, Vendor
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


def refused(response, sku):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "fractional_quantity"
    assert sku in body["message"] and "whole" in body["message"]
    return body


@pytest.fixture
def frame(tenant):
    return factories.VariantFactory(tenant=tenant, sku="FRAME-A4", unit=Variant.Unit.PIECE)


@pytest.fixture
def cheese(tenant):
    return factories.VariantFactory(tenant=tenant, sku="CHEDDAR", unit=Variant.Unit.KG)


def test_the_rule_names_every_fractional_line_of_a_whole_unit(frame, cheese):
    with pytest.raises(ValidationFailed) as caught:
        require_whole_units([(0, frame, D("0.5")), (1, cheese, D("0.5")), (2, frame, D("3"))])
    assert caught.value.code == "fractional_quantity"
    assert caught.value.details["lines"] == [
        {"line": 0, "variant_id": frame.pk, "sku": "FRAME-A4", "qty": "0.5", "unit": "piece"}
    ]
    require_whole_units([(0, frame, D("3.000")), (1, cheese, D("0.125"))])  # fine


def test_receipts_and_adjustments_refuse_half_a_frame(manager_client, store, frame, cheese):
    body = {"location_id": store.pk, "lines": [{"variant_id": frame.pk, "qty": "0.5"}]}
    detail = refused(
        manager_client.post("/api/v1/inventory/receipts", body, format="json"), "FRAME"
    )
    assert detail["details"]["lines"][0]["line"] == 0
    ok = {"location_id": store.pk, "lines": [{"variant_id": cheese.pk, "qty": "1.25"}]}
    assert manager_client.post("/api/v1/inventory/receipts", ok, format="json").status_code == 201
    adjust = {
        "location_id": store.pk,
        "reason": "damage",
        "lines": [{"variant_id": frame.pk, "delta": "1.5"}],
    }
    refused(manager_client.post("/api/v1/inventory/adjustments", adjust, format="json"), "FRAME")
    assert not StockLedger.objects.filter(variant=frame).exists()


def test_a_case_converts_to_whole_pieces_and_a_fraction_of_a_piece_is_refused(
    manager_client, tenant, store, frame
):
    UnitConversion.objects.create(tenant=tenant, variant=frame, unit="case", factor=D("12"))
    half_case = {
        "location_id": store.pk,
        "lines": [{"variant_id": frame.pk, "qty": "0.5", "unit": "case"}],
    }
    assert (
        manager_client.post("/api/v1/inventory/receipts", half_case, format="json").status_code
        == 201
    )
    assert InventoryItem.objects.get(variant=frame, location=store).on_hand == D("6")
    odd = {
        "location_id": store.pk,
        "lines": [{"variant_id": frame.pk, "qty": "0.1", "unit": "case"}],
    }
    refused(manager_client.post("/api/v1/inventory/receipts", odd, format="json"), "FRAME")


def test_transfers_counts_and_purchase_orders_refuse_fractions(
    manager_client, tenant, store, warehouse, frame, stock
):
    stock(frame, warehouse, 10)
    transfer = {
        "from_location_id": warehouse.pk,
        "to_location_id": store.pk,
        "lines": [{"variant_id": frame.pk, "qty": "2.5"}],
    }
    refused(manager_client.post("/api/v1/inventory/transfers", transfer, format="json"), "FRAME")

    count = manager_client.post(
        "/api/v1/inventory/counts",
        {"location_id": warehouse.pk, "scope": "FULL_STORE"},
        format="json",
    ).json()
    scan = {"variant_id": frame.pk, "counted_qty": "9.5"}
    refused(
        manager_client.post(f"/api/v1/inventory/counts/{count['id']}/lines", scan, format="json"),
        "FRAME",
    )

    vendor = Vendor.objects.create(tenant=tenant, name="Frames Ltd")
    order = {
        "vendor_id": vendor.pk,
        "location_id": store.pk,
        "lines": [{"variant_id": frame.pk, "qty_ordered": "0.25"}],
    }
    refused(manager_client.post("/api/v1/purchasing/orders", order, format="json"), "FRAME")
    assert not PurchaseOrder.objects.filter(tenant=tenant).exists()
    assert InventoryItem.objects.get(variant=frame, location=warehouse).on_hand == D("10")


def test_the_till_sells_whole_pieces_and_weighed_goods_by_the_gram():
    world = build_world(unit="piece")
    kilo = factories.VariantFactory(tenant=world.tenant, sku="APPLES", unit="kg", price=D("2.00"))
    receive_stock(
        tenant=world.tenant,
        location_id=world.store.pk,
        lines=[ReceiptLine(variant_id=kilo.pk, qty=D("10"))],
    )
    till = factories_till(world)
    piece = world.variants[0]
    half = {
        "lines": [{"variant_id": piece.pk, "qty": "0.5"}],
        "tenders": [{"method": "CASH", "amount": "100"}],
    }
    refused(till.post("/api/v1/pos/quote", {"lines": half["lines"]}, format="json"), piece.sku)
    refused(till.post("/api/v1/pos/checkout", half, format="json"), piece.sku)
    assert not Sale.objects.filter(tenant=world.tenant).exists()
    weighed = {
        "lines": [{"variant_id": kilo.pk, "qty": "0.455"}, {"variant_id": piece.pk, "qty": "2"}],
        "tenders": [{"method": "CASH", "amount": "100"}],
    }
    assert till.post("/api/v1/pos/checkout", weighed, format="json").status_code == 201


def factories_till(world):
    from rest_framework.test import APIClient

    opener = APIClient()
    opener.credentials(HTTP_AUTHORIZATION=bearer(world.cashier))
    opened = opener.post(
        f"/api/v1/pos/registers/{world.register.pk}/sessions",
        {"opening_float": "50.00"},
        format="json",
    )
    assert opened.status_code == 201, opened.content
    till = APIClient()
    till.credentials(HTTP_AUTHORIZATION=f"Register {opened.json()['token']}")
    return till
