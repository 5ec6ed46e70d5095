"""Purchase orders: DRAFT → submit → receive (partial, lots, cost) → RECEIVED; cancel; refusals (SPEC §6)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import InventoryItem, LedgerRefType, Lot, StockLedger
from storekeep.inventory.selectors import ledger_parity_mismatches
from storekeep.purchasing.models import PurchaseOrder, Vendor, VendorVariant
from storekeep.purchasing.services import (
    OrderLineInput,
    ReceiveLineInput,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_submit,
)
from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.testing.http import csv_text

D = Decimal
URL = "/api/v1/purchasing/orders"
pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor(tenant):
    return Vendor.objects.create(tenant=tenant, name="Mugs Ltd", lead_time_days=3)


@pytest.fixture
def plate(tenant):
    return factories.VariantFactory(tenant=tenant, sku="PLATE", cost=D("1.50"))


def item(variant, location):
    return InventoryItem.objects.filter(variant=variant, location=location).first()


def po_rows(order_id):
    return list(
        StockLedger.objects.filter(
            ref_type=LedgerRefType.PURCHASE_ORDER_RECEIPT, ref_id=str(order_id)
        ).order_by("pk")
    )


def test_order_lifecycle_with_partial_receipts_and_moving_average(
    manager_client, tenant, store, vendor, variant, plate, stock
):
    stock(variant, store, 10, unit_cost="4.00")
    VendorVariant.objects.create(tenant=tenant, vendor=vendor, variant=plate, unit_cost=D("1.2500"))
    body = {
        "vendor_id": vendor.pk,
        "location_id": store.pk,
        "expected_at": "2030-01-05",
        "lines": [
            {"variant_id": variant.pk, "qty_ordered": "10", "unit_cost": "6.00"},
            {"variant_id": plate.pk, "qty_ordered": "4"},
        ],
    }
    created = manager_client.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    order = created.json()
    assert order["status"] == "DRAFT" and order["total"] == "65.00"
    assert {line["variant_id"]: line["unit_cost"] for line in order["lines"]}[
        plate.pk
    ] == "1.2500"  # vendor cost

    edited = manager_client.patch(
        f"{URL}/{order['id']}",
        {
            "note": "rush",
            "lines": [
                {"variant_id": variant.pk, "qty_ordered": "10", "unit_cost": "6.00"},
                {"variant_id": plate.pk, "qty_ordered": "6", "unit_cost": "1.00"},
            ],
        },
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["note"] == "rush" and len(edited.json()["lines"]) == 2

    submitted = manager_client.post(f"{URL}/{order['id']}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "SUBMITTED"
    locked = manager_client.patch(f"{URL}/{order['id']}", {"note": "late"}, format="json")
    assert locked.status_code == 409 and locked.json()["code"] == "po_not_editable"

    part = manager_client.post(
        f"{URL}/{order['id']}/receive",
        {
            "lines": [
                {"variant_id": variant.pk, "qty": "10"},
                {"variant_id": plate.pk, "qty": "2", "unit_cost": "1.10"},
            ]
        },
        format="json",
    )
    assert part.status_code == 200, part.json()
    assert part.json()["status"] == "PARTIAL_RECEIVED"
    assert {line["variant_id"]: line["qty_remaining"] for line in part.json()["lines"]} == {
        variant.pk: "0.000",
        plate.pk: "4.000",
    }
    mug = item(variant, store)
    assert mug.on_hand == D("20") and mug.avg_unit_cost == D("5.0000")  # (10×4 + 10×6) / 20
    assert item(plate, store).avg_unit_cost == D("1.1000")

    done = manager_client.post(
        f"{URL}/{order['id']}/receive",
        {"lines": [{"variant_id": plate.pk, "qty": "4"}]},
        format="json",
    )
    assert done.json()["status"] == "RECEIVED" and done.json()["received_at"]
    assert item(plate, store).on_hand == D("6")
    assert [(r.variant_id, r.qty_delta) for r in po_rows(order["id"])] == [
        (variant.pk, D("10")),
        (plate.pk, D("2")),
        (plate.pk, D("4")),
    ]
    assert ledger_parity_mismatches(tenant=tenant)[0] == []

    after = manager_client.post(
        f"{URL}/{order['id']}/receive",
        {"lines": [{"variant_id": plate.pk, "qty": "1"}]},
        format="json",
    )
    assert after.status_code == 409 and after.json()["code"] == "invalid_state"
    cancel = manager_client.post(f"{URL}/{order['id']}/cancel")
    assert cancel.status_code == 409 and cancel.json()["code"] == "invalid_state"
    assert item(plate, store).on_hand == D("6")


def test_receiving_lots_with_expiry(manager_client, tenant, store, vendor):
    milk = factories.VariantFactory(tenant=tenant, sku="MILK", track_lots=True)
    order = purchase_order_create(
        tenant=tenant,
        vendor_id=vendor.pk,
        location_id=store.pk,
        lines=[OrderLineInput(milk.pk, D("10"), D("0.80"))],
    )
    purchase_order_submit(tenant=tenant, order_id=order.pk)
    response = manager_client.post(
        f"{URL}/{order.pk}/receive",
        {
            "lines": [
                {"variant_id": milk.pk, "qty": "6", "lot_code": "L1", "expiry_date": "2099-03-01"},
                {"variant_id": milk.pk, "qty": "4", "lot_code": "L2", "expiry_date": "2099-03-08"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "RECEIVED"
    lots = {
        lot.lot_code: (lot.qty, lot.expiry_date)
        for lot in Lot.objects.filter(variant=milk, location=store)
    }
    assert lots == {"L1": (D("6"), date(2099, 3, 1)), "L2": (D("4"), date(2099, 3, 8))}
    assert item(milk, store).on_hand == D("10")


def test_illegal_transitions_and_over_receipt_change_nothing(
    manager_client, tenant, store, vendor, variant, plate
):
    order = purchase_order_create(
        tenant=tenant,
        vendor_id=vendor.pk,
        location_id=store.pk,
        lines=[OrderLineInput(variant.pk, D("5"), D("4"))],
    )
    url = f"{URL}/{order.pk}"
    draft_receive = manager_client.post(
        f"{url}/receive", {"lines": [{"variant_id": variant.pk, "qty": "1"}]}, format="json"
    )
    assert draft_receive.status_code == 409 and draft_receive.json()["code"] == "invalid_state"
    purchase_order_submit(tenant=tenant, order_id=order.pk)
    assert manager_client.post(f"{url}/submit").json()["code"] == "invalid_state"
    over = manager_client.post(
        f"{url}/receive",
        {"lines": [{"variant_id": variant.pk, "qty": "3"}, {"variant_id": variant.pk, "qty": "3"}]},
        format="json",
    )
    assert over.status_code == 409 and over.json()["code"] == "over_receipt"
    off_order = manager_client.post(
        f"{url}/receive", {"lines": [{"variant_id": plate.pk, "qty": "1"}]}, format="json"
    )
    assert off_order.status_code == 422 and off_order.json()["code"] == "variant_not_on_order"
    for bad in (
        {"lines": []},
        {"lines": [{"variant_id": variant.pk, "qty": "0"}]},
        {"lines": [{"variant_id": variant.pk, "qty": "1", "unit_cost": "-1"}]},
        {"lines": [{"variant_id": variant.pk, "qty": "1", "expiry_date": "soon"}]},
    ):
        response = manager_client.post(f"{url}/receive", bad, format="json")
        assert response.status_code == 400, bad
    assert item(variant, store) is None
    assert po_rows(order.pk) == []
    order.refresh_from_db()
    assert order.status == "SUBMITTED"
    # partial receipt then cancel: the received stock stays, the rest is no longer expected
    purchase_order_receive(
        tenant=tenant, order_id=order.pk, lines=[ReceiveLineInput(variant.pk, D("2"))]
    )
    assert manager_client.post(f"{url}/cancel").json()["status"] == "CANCELLED"
    assert item(variant, store).on_hand == D("2")


@pytest.mark.parametrize(
    "body, status",
    [
        ({"lines": []}, 400),
        ({"lines": [{"variant_id": "V", "qty_ordered": "0"}]}, 400),
        ({"lines": [{"variant_id": "V", "qty_ordered": "1", "unit_cost": "1.00001"}]}, 400),
        (
            {
                "lines": [
                    {"variant_id": "V", "qty_ordered": "1"},
                    {"variant_id": "V", "qty_ordered": "1"},
                ]
            },
            400,
        ),
        ({"vendor_id": 10**9, "lines": [{"variant_id": "V", "qty_ordered": "1"}]}, 404),
        ({"lines": [{"variant_id": "FOREIGN", "qty_ordered": "1"}]}, 404),
    ],
)
def test_bad_order_input_is_4xx_and_creates_nothing(
    manager_client, other_tenant, store, vendor, variant, body, status
):
    foreign = factories.VariantFactory(tenant=other_tenant)
    payload = {"vendor_id": vendor.pk, "location_id": store.pk, **body}
    payload["lines"] = [
        {k: {"V": variant.pk, "FOREIGN": foreign.pk}.get(v, v) for k, v in line.items()}
        for line in payload["lines"]
    ]
    response = manager_client.post(URL, payload, format="json")
    assert response.status_code == status, response.json()
    assert set(response.json()) == {"code", "message", "details"}
    assert PurchaseOrder.objects.count() == 0


def test_roles_locations_and_tenants(
    client_for, tenant, other_tenant, store, warehouse, vendor, variant
):
    order = purchase_order_create(
        tenant=tenant,
        vendor_id=vendor.pk,
        location_id=store.pk,
        lines=[OrderLineInput(variant.pk, D("1"))],
    )
    body = {
        "vendor_id": vendor.pk,
        "location_id": store.pk,
        "lines": [{"variant_id": variant.pk, "qty_ordered": "1"}],
    }
    assert client_for(Role.VIEWER).get(URL).status_code == 200
    assert client_for(Role.CASHIER).post(URL, body, format="json").status_code == 403
    assert client_for(Role.CASHIER).post(f"{URL}/{order.pk}/submit").status_code == 403
    elsewhere = client_for(Role.MANAGER, locations=[warehouse])
    assert elsewhere.post(URL, body, format="json").status_code == 403
    assert elsewhere.get(f"{URL}/{order.pk}").status_code == 403
    assert elsewhere.get(URL).json()["count"] == 0
    rival = client_for(Role.OWNER, tenant_=other_tenant)
    assert rival.get(f"{URL}/{order.pk}").status_code == 404
    assert rival.post(f"{URL}/{order.pk}/submit").status_code == 404
    order.refresh_from_db()
    assert order.status == "DRAFT"


def test_vendors_crud_and_vendor_variants(
    manager_client, viewer_client, tenant, other_tenant, variant
):
    created = manager_client.post(
        "/api/v1/purchasing/vendors", {"name": "Cups Co", "lead_time_days": 5}, format="json"
    )
    assert created.status_code == 201, created.json()
    duplicate = manager_client.post(
        "/api/v1/purchasing/vendors", {"name": "Cups Co"}, format="json"
    )
    assert duplicate.status_code == 409
    vendor_id = created.json()["id"]
    link = manager_client.post(
        "/api/v1/purchasing/vendor_variants",
        {"vendor_id": vendor_id, "variant_id": variant.pk, "unit_cost": "3.2000"},
        format="json",
    )
    assert link.status_code == 201, link.json()
    foreign = factories.VariantFactory(tenant=other_tenant)
    bad = manager_client.post(
        "/api/v1/purchasing/vendor_variants",
        {"vendor_id": vendor_id, "variant_id": foreign.pk},
        format="json",
    )
    assert bad.status_code == 400
    assert (
        viewer_client.post("/api/v1/purchasing/vendors", {"name": "X"}, format="json").status_code
        == 403
    )
    listing = viewer_client.get("/api/v1/purchasing/vendors", {"format": "csv"})
    assert listing.status_code == 200 and "Cups Co" in csv_text(listing)
    assert Vendor.objects.filter(tenant=tenant).count() == 1


def test_idempotent_receive_and_constant_list_queries(manager_client, tenant, store, vendor, stock):
    variants = [factories.VariantFactory(tenant=tenant) for _ in range(3)]
    orders = [
        purchase_order_create(
            tenant=tenant,
            vendor_id=vendor.pk,
            location_id=store.pk,
            lines=[OrderLineInput(v.pk, D("5")) for v in variants],
        )
        for _ in range(12)
    ]
    purchase_order_submit(tenant=tenant, order_id=orders[0].pk)
    body = {"lines": [{"variant_id": variants[0].pk, "qty": "2"}]}
    first = manager_client.post(
        f"{URL}/{orders[0].pk}/receive", body, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    again = manager_client.post(
        f"{URL}/{orders[0].pk}/receive", body, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert item(variants[0], store).on_hand == D("2") and len(po_rows(orders[0].pk)) == 1
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(URL, {"page_size": size})
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert manager_client.get(URL, {"status": "PARTIAL_RECEIVED"}).json()["count"] == 1
