"""Transfers: DRAFT → send → receive (partial) → RECEIVED; cancel; refusals (SPEC §6)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import (
    InventoryItem,
    InventoryTransfer,
    LedgerRefType,
    Lot,
    StockLedger,
)
from storekeep.inventory.selectors import ledger_parity_mismatches
from storekeep.inventory.services.transfers import (
    TransferLineInput,
    TransferReceiveLine,
    transfer_create,
    transfer_receive,
    transfer_send,
)
from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.testing.http import csv_text

D = Decimal
URL = "/api/v1/inventory/transfers"
pytestmark = pytest.mark.django_db


def on_hand(variant, location):
    item = InventoryItem.objects.filter(variant=variant, location=location).first()
    return item.on_hand if item else D("0")


def rows(transfer_id, ref_type=None):
    qs = StockLedger.objects.filter(ref_id=str(transfer_id)).order_by("pk")
    return list(qs.filter(ref_type=ref_type) if ref_type else qs)


@pytest.fixture
def second(tenant):
    return factories.VariantFactory(tenant=tenant, sku="MUG-BLUE", cost=D("3.00"))


def test_full_flow_over_the_api_moves_stock_and_tracks_lines(
    manager_client, tenant, warehouse, store, variant, second, stock
):
    stock(variant, warehouse, 10, unit_cost="4.00")
    stock(second, warehouse, 5, unit_cost="3.00")
    body = {
        "from_location_id": warehouse.pk,
        "to_location_id": store.pk,
        "lines": [{"variant_id": variant.pk, "qty": "6"}, {"variant_id": second.pk, "qty": "5"}],
    }
    created = manager_client.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    transfer_id = created.json()["id"]
    assert created.json()["status"] == "DRAFT"
    assert on_hand(variant, warehouse) == D("10")  # a draft moves nothing

    sent = manager_client.post(f"{URL}/{transfer_id}/send")
    assert sent.status_code == 200, sent.json()
    assert sent.json()["status"] == "IN_TRANSIT"
    assert on_hand(variant, warehouse) == D("4") and on_hand(second, warehouse) == D("0")
    out = rows(transfer_id, LedgerRefType.TRANSFER_OUT)
    assert sorted(r.qty_delta for r in out) == [D("-6"), D("-5")]

    part = manager_client.post(
        f"{URL}/{transfer_id}/receive",
        {"lines": [{"variant_id": variant.pk, "qty_receive": "2"}]},
        format="json",
    )
    assert part.status_code == 200, part.json()
    assert part.json()["status"] == "PARTIAL_RECEIVED"
    line = next(x for x in part.json()["lines"] if x["variant_id"] == variant.pk)
    assert (line["qty_sent"], line["qty_received"], line["qty_remaining"]) == (
        "6.000",
        "2.000",
        "4.000",
    )
    assert on_hand(variant, store) == D("2")

    rest = manager_client.post(
        f"{URL}/{transfer_id}/receive",
        {
            "lines": [
                {"variant_id": variant.pk, "qty_receive": "4"},
                {"variant_id": second.pk, "qty_receive": "5"},
            ]
        },
        format="json",
    )
    assert rest.status_code == 200, rest.json()
    assert rest.json()["status"] == "RECEIVED"
    assert all(x["qty_remaining"] == "0.000" for x in rest.json()["lines"])
    assert on_hand(variant, store) == D("6") and on_hand(second, store) == D("5")
    incoming = rows(transfer_id, LedgerRefType.TRANSFER_IN)
    assert sum(r.qty_delta for r in incoming) == D("11")
    assert {r.unit_cost for r in incoming if r.variant_id == variant.pk} == {D("4.0000")}
    assert ledger_parity_mismatches(tenant=tenant)[0] == []


def test_send_short_stock_is_409_and_changes_nothing(
    manager_client, warehouse, store, variant, second, stock
):
    stock(variant, warehouse, 10)
    stock(second, warehouse, 1)
    transfer = transfer_create(
        tenant=variant.tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("3")), TransferLineInput(second.pk, D("2"))],
    )
    response = manager_client.post(f"{URL}/{transfer.pk}/send")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert [line["variant_id"] for line in body["details"]["lines"]] == [second.pk]
    transfer.refresh_from_db()
    assert transfer.status == "DRAFT"
    assert on_hand(variant, warehouse) == D("10") and on_hand(second, warehouse) == D("1")
    assert rows(transfer.pk) == []
    assert all(line.qty_sent == 0 for line in transfer.lines.all())


def test_illegal_transitions_are_409_and_change_nothing(
    manager_client, warehouse, store, variant, stock
):
    stock(variant, warehouse, 10)
    transfer = transfer_create(
        tenant=variant.tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("4"))],
    )
    receive = {"lines": [{"variant_id": variant.pk, "qty_receive": "1"}]}
    early = manager_client.post(f"{URL}/{transfer.pk}/receive", receive, format="json")
    assert early.status_code == 409 and early.json()["code"] == "invalid_state"

    assert manager_client.post(f"{URL}/{transfer.pk}/send").status_code == 200
    again = manager_client.post(f"{URL}/{transfer.pk}/send")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    cancel = manager_client.post(f"{URL}/{transfer.pk}/cancel")
    assert cancel.status_code == 409 and cancel.json()["code"] == "invalid_state"

    too_much = manager_client.post(
        f"{URL}/{transfer.pk}/receive",
        {"lines": [{"variant_id": variant.pk, "qty_receive": "4.001"}]},
        format="json",
    )
    assert too_much.status_code == 409 and too_much.json()["code"] == "receive_exceeds_sent"
    assert on_hand(variant, store) == D("0") and on_hand(variant, warehouse) == D("6")
    assert rows(transfer.pk, LedgerRefType.TRANSFER_IN) == []

    assert (
        manager_client.post(
            f"{URL}/{transfer.pk}/receive",
            {"lines": [{"variant_id": variant.pk, "qty_receive": "4"}]},
            format="json",
        ).json()["status"]
        == "RECEIVED"
    )
    after = manager_client.post(f"{URL}/{transfer.pk}/receive", receive, format="json")
    assert after.status_code == 409 and after.json()["code"] == "invalid_state"
    assert on_hand(variant, store) == D("4")


def test_cancel_draft_then_nothing_else(manager_client, warehouse, store, variant, stock):
    stock(variant, warehouse, 5)
    transfer = transfer_create(
        tenant=variant.tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("2"))],
    )
    response = manager_client.post(f"{URL}/{transfer.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    send = manager_client.post(f"{URL}/{transfer.pk}/send")
    assert send.status_code == 409 and send.json()["code"] == "invalid_state"
    assert on_hand(variant, warehouse) == D("5") and rows(transfer.pk) == []


def test_cost_travels_with_the_goods_and_averages_at_destination(
    tenant, warehouse, store, variant, stock
):
    stock(variant, warehouse, 10, unit_cost="6.00")
    stock(variant, store, 10, unit_cost="2.00")
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("10"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    transfer_receive(
        tenant=tenant, transfer_id=transfer.pk, lines=[TransferReceiveLine(variant.pk, D("10"))]
    )
    item = InventoryItem.objects.get(variant=variant, location=store)
    assert item.on_hand == D("20")
    assert item.avg_unit_cost == D("4.0000")  # (10×2 + 10×6) / 20


def test_lot_tracked_goods_arrive_in_their_lots_fefo(tenant, warehouse, store, stock):
    variant = factories.VariantFactory(tenant=tenant, sku="MILK", track_lots=True)
    stock(variant, warehouse, 3, unit_cost="1.00", lot_code="A", expiry_date=date(2099, 1, 10))
    stock(variant, warehouse, 5, unit_cost="2.00", lot_code="B", expiry_date=date(2099, 2, 10))
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("6"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    transfer_receive(
        tenant=tenant, transfer_id=transfer.pk, lines=[TransferReceiveLine(variant.pk, D("4"))]
    )
    transfer_receive(
        tenant=tenant, transfer_id=transfer.pk, lines=[TransferReceiveLine(variant.pk, D("2"))]
    )
    lots = {
        lot.lot_code: (lot.qty, lot.expiry_date, lot.unit_cost)
        for lot in Lot.objects.filter(location=store, variant=variant)
    }
    assert lots == {
        "A": (D("3"), date(2099, 1, 10), D("1.0000")),
        "B": (D("3"), date(2099, 2, 10), D("2.0000")),
    }
    assert on_hand(variant, store) == D("6")
    assert {
        lot.lot_code: lot.qty for lot in Lot.objects.filter(location=warehouse, variant=variant)
    } == {"A": D("0"), "B": D("2")}


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"lines": []}, 400, "validation_error"),
        ({"lines": [{"variant_id": "VAR", "qty": "0"}]}, 400, "validation_error"),
        ({"lines": [{"variant_id": "VAR", "qty": "1.0001"}]}, 400, "validation_error"),
        ({"lines": [{"variant_id": "VAR", "qty": "-1"}]}, 400, "validation_error"),
        (
            {"lines": [{"variant_id": "VAR", "qty": "1"}, {"variant_id": "VAR", "qty": "2"}]},
            400,
            "validation_error",
        ),
        (
            {"to_location_id": "FROM", "lines": [{"variant_id": "VAR", "qty": "1"}]},
            400,
            "same_location",
        ),
        ({"lines": [{"variant_id": "FOREIGN", "qty": "1"}]}, 404, "not_found"),
        (
            {"to_location_id": "FOREIGN_LOC", "lines": [{"variant_id": "VAR", "qty": "1"}]},
            404,
            "not_found",
        ),
    ],
)
def test_bad_create_input_is_4xx_and_creates_nothing(
    manager_client, other_tenant, warehouse, store, variant, body, status, code
):
    foreign = factories.VariantFactory(tenant=other_tenant)
    foreign_loc = factories.LocationFactory(tenant=other_tenant)
    subst = {
        "VAR": variant.pk,
        "FOREIGN": foreign.pk,
        "FROM": warehouse.pk,
        "FOREIGN_LOC": foreign_loc.pk,
    }
    payload = {"from_location_id": warehouse.pk, "to_location_id": store.pk, **body}
    payload = {k: subst.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    payload["lines"] = [{k: subst.get(v, v) for k, v in line.items()} for line in payload["lines"]]
    response = manager_client.post(URL, payload, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "details"}
    assert InventoryTransfer.objects.count() == 0


def test_receive_input_errors(manager_client, tenant, warehouse, store, variant, stock):
    other = factories.VariantFactory(tenant=tenant)
    stock(variant, warehouse, 5)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("2"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    url = f"{URL}/{transfer.pk}/receive"
    not_on = manager_client.post(
        url, {"lines": [{"variant_id": other.pk, "qty_receive": "1"}]}, format="json"
    )
    assert not_on.status_code == 422 and not_on.json()["code"] == "variant_not_in_transfer"
    zero = manager_client.post(
        url, {"lines": [{"variant_id": variant.pk, "qty_receive": "0"}]}, format="json"
    )
    assert zero.status_code == 400
    garbage = manager_client.post(url, "not json", content_type="application/json")
    assert garbage.status_code == 400 and garbage.json()["code"] == "malformed_request"
    assert (
        manager_client.post(f"{URL}/abc/receive", {"lines": []}, format="json").status_code == 404
    )
    assert manager_client.post(f"{URL}/999999/send").status_code == 404
    assert on_hand(variant, store) == D("0")


def test_other_tenants_transfer_is_404(
    client_for, other_tenant, tenant, warehouse, store, variant, stock
):
    stock(variant, warehouse, 5)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("2"))],
    )
    rival = client_for(Role.OWNER, tenant_=other_tenant)
    assert rival.get(f"{URL}/{transfer.pk}").status_code == 404
    assert rival.post(f"{URL}/{transfer.pk}/send").status_code == 404
    assert on_hand(variant, warehouse) == D("5")


def test_roles_and_location_access(client_for, tenant, warehouse, store, variant, stock):
    stock(variant, warehouse, 5)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("2"))],
    )
    viewer, cashier = client_for(Role.VIEWER), client_for(Role.CASHIER, locations=[store])
    store_manager = client_for(Role.MANAGER, locations=[store])
    body = {
        "from_location_id": warehouse.pk,
        "to_location_id": store.pk,
        "lines": [{"variant_id": variant.pk, "qty": "1"}],
    }
    assert viewer.get(URL).status_code == 200
    assert viewer.post(URL, body, format="json").status_code == 403
    assert cashier.post(f"{URL}/{transfer.pk}/send").status_code == 403  # role
    assert store_manager.post(f"{URL}/{transfer.pk}/send").status_code == 403  # not the source
    assert store_manager.post(URL, body, format="json").status_code == 403
    assert client_for(Role.MANAGER).post(f"{URL}/{transfer.pk}/send").status_code == 200
    receive = {"lines": [{"variant_id": variant.pk, "qty_receive": "2"}]}
    warehouse_cashier = client_for(Role.CASHIER, locations=[warehouse])
    assert (
        warehouse_cashier.post(f"{URL}/{transfer.pk}/receive", receive, format="json").status_code
        == 403
    )
    assert cashier.post(f"{URL}/{transfer.pk}/receive", receive, format="json").status_code == 200
    assert on_hand(variant, store) == D("2")


def test_idempotent_send_applies_once(manager_client, tenant, warehouse, store, variant, stock):
    stock(variant, warehouse, 5)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("2"))],
    )
    first = manager_client.post(f"{URL}/{transfer.pk}/send", HTTP_IDEMPOTENCY_KEY="send-1")
    second = manager_client.post(f"{URL}/{transfer.pk}/send", HTTP_IDEMPOTENCY_KEY="send-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert len(rows(transfer.pk, LedgerRefType.TRANSFER_OUT)) == 1
    assert on_hand(variant, warehouse) == D("3")


def test_list_filters_csv_and_constant_queries(manager_client, tenant, warehouse, store, stock):
    variants = [factories.VariantFactory(tenant=tenant) for _ in range(3)]
    for variant in variants:
        stock(variant, warehouse, 100)
    for index in range(12):
        transfer = transfer_create(
            tenant=tenant,
            from_location_id=warehouse.pk,
            to_location_id=store.pk,
            lines=[TransferLineInput(v.pk, D("1")) for v in variants],
        )
        if index % 2:
            transfer_send(tenant=tenant, transfer_id=transfer.pk)
    manager_client.get(URL)  # warm-up: the token's last_used_at is written once
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(URL, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    in_transit = manager_client.get(URL, {"status": "IN_TRANSIT"}).json()
    assert in_transit["count"] == 6
    assert manager_client.get(URL, {"status": "NOPE"}).status_code == 400
    csv = manager_client.get(URL, {"format": "csv", "status": "DRAFT"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv_text(csv).strip().splitlines()
    assert lines[0].startswith("id,from_location_id,to_location_id,status")
    assert len(lines) == 1 + 6
