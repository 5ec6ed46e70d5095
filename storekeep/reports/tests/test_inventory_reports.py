"""Inventory reports: movements per variant (must equal the ledger) and valuation (SPEC §9)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from storekeep.catalog.models import RecipeComponent
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    confirm_reservation,
    receive_stock,
    record_return,
    record_sale,
    record_void,
    reserve_stock,
    write_off,
)
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
MOVEMENTS = "/api/v1/reports/movements"
VALUATION = "/api/v1/reports/valuation"
pytestmark = pytest.mark.django_db


def at(day, hour=12):
    return datetime(2020, 1, day, hour, tzinfo=UTC)


@pytest.fixture
def history(tenant, store, warehouse):
    """Every kind of movement of MUG at the store on 2020-01-05…07, plus rows before and after."""
    mug = factories.VariantFactory(tenant=tenant, sku="MUG", cost=D("2"))
    kit = factories.VariantFactory(tenant=tenant, sku="KIT")
    RecipeComponent.objects.create(tenant=tenant, parent=kit, component=mug, qty=D("2"))
    t, loc = tenant, store.pk
    receive_stock(
        tenant=t, location_id=loc, lines=[ReceiptLine(mug.pk, D("50"), D("2"))], occurred_at=at(1)
    )
    receive_stock(
        tenant=t,
        location_id=warehouse.pk,
        lines=[ReceiptLine(mug.pk, D("30"), D("2"))],
        occurred_at=at(1),
    )
    receive_stock(
        tenant=t,
        location_id=loc,
        lines=[ReceiptLine(mug.pk, D("10"), D("3"))],
        occurred_at=at(5),
        ref_type="PURCHASE_ORDER_RECEIPT",
        ref_id="PO1",
    )
    record_sale(
        tenant=t, location_id=loc, lines=[StockLine(mug.pk, D("4"))], ref_id="S1", occurred_at=at(5)
    )
    record_sale(
        tenant=t, location_id=loc, lines=[StockLine(kit.pk, D("1"))], ref_id="S2", occurred_at=at(5)
    )
    record_return(
        tenant=t, location_id=loc, lines=[StockLine(mug.pk, D("1"))], ref_id="R1", occurred_at=at(6)
    )
    record_void(
        tenant=t, location_id=loc, lines=[StockLine(mug.pk, D("2"))], ref_id="S1", occurred_at=at(6)
    )
    adjust_stock(
        tenant=t,
        location_id=loc,
        lines=[AdjustmentLine(mug.pk, delta=D("-3"))],
        reason="damage",
        occurred_at=at(6),
    )
    adjust_stock(
        tenant=t,
        location_id=loc,
        lines=[AdjustmentLine(mug.pk, delta=D("1"))],
        reason="correction",
        ref_type="COUNT_RECONCILE",
        ref_id="C1",
        occurred_at=at(6),
    )
    write_off(
        tenant=t,
        location_id=loc,
        lines=[StockLine(mug.pk, D("2"))],
        reason="spoilage",
        occurred_at=at(7),
    )
    write_off(
        tenant=t,
        location_id=loc,
        lines=[StockLine(mug.pk, D("1"))],
        reason="expiry",
        ref_type="EXPIRY",
        occurred_at=at(7, 23),
    )
    reservation = reserve_stock(tenant=t, location_id=loc, variant_id=mug.pk, qty=D("2"))
    confirm_reservation(tenant=t, reservation_id=reservation.pk)  # now: outside the range
    transfer = transfer_create(
        tenant=t,
        from_location_id=warehouse.pk,
        to_location_id=loc,
        lines=[TransferLineInput(mug.pk, D("5"))],
    )
    transfer_send(tenant=t, transfer_id=transfer.pk)
    transfer_receive(tenant=t, transfer_id=transfer.pk, lines=[TransferReceiveLine(mug.pk, D("5"))])
    back = transfer_create(
        tenant=t,
        from_location_id=loc,
        to_location_id=warehouse.pk,
        lines=[TransferLineInput(mug.pk, D("3"))],
    )
    transfer_send(tenant=t, transfer_id=back.pk)
    return mug


def ledger_sum(variant, location=None, **filters):
    qs = StockLedger.objects.filter(variant=variant, **filters)
    if location is not None:
        qs = qs.filter(location=location)
    return qs.aggregate(total=Sum("qty_delta"))["total"] or D("0")


def test_movements_columns_and_net_change_equal_the_ledger(manager_client, history, store):
    response = manager_client.get(
        MOVEMENTS, {"date_from": "2020-01-05", "date_to": "2020-01-07", "location_id": store.pk}
    )
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]
    assert row["sku"] == "MUG"
    expected = {
        "opening_balance": "50.000",
        "purchases": "10.000",
        "sales": "-6.000",
        "returns": "1.000",
        "voids": "2.000",
        "adjustments": "-2.000",
        "transfers_in": "0.000",
        "transfers_out": "0.000",
        "waste": "-2.000",
        "expired": "-1.000",
        "net_change": "2.000",
        "closing_balance": "52.000",
    }
    assert {k: row[k] for k in expected} == expected
    in_range = ledger_sum(history, store, created_at__gte=at(5, 0), created_at__lt=at(8, 0))
    assert D(row["net_change"]) == in_range
    columns = [
        "purchases",
        "sales",
        "returns",
        "voids",
        "adjustments",
        "transfers_in",
        "transfers_out",
        "waste",
        "expired",
    ]
    assert sum(D(row[c]) for c in columns) == D(row["net_change"])
    assert D(row["opening_balance"]) == ledger_sum(history, store, created_at__lt=at(5, 0))


def test_movements_over_everything_close_at_on_hand(manager_client, history, store, warehouse):
    today = datetime.now(UTC).date()
    response = manager_client.get(
        MOVEMENTS, {"date_from": "2019-12-01", "date_to": str(today + timedelta(days=1))}
    )
    (row,) = [r for r in response.json()["results"] if r["sku"] == "MUG"]
    on_hand = sum(i.on_hand for i in InventoryItem.objects.filter(variant=history))
    assert D(row["closing_balance"]) == on_hand == ledger_sum(history)
    assert (row["transfers_in"], row["transfers_out"]) == ("5.000", "-8.000")
    assert D(row["sales"]) == D("-8")
    only_store = manager_client.get(
        MOVEMENTS, {"date_from": "2019-12-01", "date_to": str(today), "location_id": store.pk}
    ).json()["results"][0]
    assert (
        D(only_store["closing_balance"])
        == InventoryItem.objects.get(variant=history, location=store).on_hand
    )


def test_movements_validation_csv_and_scope(manager_client, client_for, history, store, warehouse):
    for params in (
        {},
        {"date_from": "2020-01-05"},
        {"date_from": "2020-01-07", "date_to": "2020-01-05"},
        {"date_from": "x", "date_to": "2020-01-05"},
    ):
        response = manager_client.get(MOVEMENTS, params)
        assert response.status_code == 400 and response.json()["code"] == "validation_error"
    csv = manager_client.get(
        MOVEMENTS, {"date_from": "2020-01-05", "date_to": "2020-01-07", "format": "csv"}
    )
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    header, *lines = csv_text(csv).strip().splitlines()
    assert header.split(",")[:4] == ["variant_id", "sku", "name", "opening_balance"]
    assert len(lines) == 1
    member = client_for(Role.VIEWER, locations=[warehouse])
    rows = member.get(MOVEMENTS, {"date_from": "2020-01-01", "date_to": "2020-01-07"}).json()[
        "results"
    ]
    assert [r["purchases"] for r in rows] == ["30.000"]  # warehouse only
    assert (
        member.get(
            MOVEMENTS, {"date_from": "2020-01-01", "date_to": "2020-01-07", "location_id": store.pk}
        ).status_code
        == 403
    )


def test_valuation_rows_totals_and_scope(
    viewer_client, client_for, tenant, store, warehouse, stock
):
    mug = factories.VariantFactory(tenant=tenant, sku="MUG")
    tea = factories.VariantFactory(tenant=tenant, sku="TEA")
    empty = factories.VariantFactory(tenant=tenant, sku="EMPTY")
    stock(mug, store, 10, unit_cost="2.50")
    stock(mug, warehouse, 3, unit_cost="3.3333")
    stock(tea, store, 4, unit_cost="1.25")
    stock(empty, store, 1, unit_cost="1")
    record_sale(
        tenant=tenant, location_id=store.pk, lines=[StockLine(empty.pk, D("1"))], ref_id="S"
    )
    data = viewer_client.get(VALUATION).json()
    rows = {(r["location_code"], r["sku"]): r["value"] for r in data["results"]}
    assert rows == {
        (store.code, "MUG"): "25.00",
        (warehouse.code, "MUG"): "10.00",
        (store.code, "TEA"): "5.00",
    }
    assert data["totals"]["total_qty"] == "17.000" and data["totals"]["total_value"] == "40.00"
    assert {r["location_code"]: r["total_value"] for r in data["totals"]["by_location"]} == {
        store.code: "30.00",
        warehouse.code: "10.00",
    }
    assert len(viewer_client.get(VALUATION, {"include_zero": "true"}).json()["results"]) == 4
    member = client_for(Role.VIEWER, locations=[warehouse])
    assert member.get(VALUATION).json()["totals"]["total_value"] == "10.00"
    assert member.get(VALUATION, {"location_id": store.pk}).status_code == 403
    csv = viewer_client.get(VALUATION, {"format": "csv"})
    assert (
        csv_text(csv).splitlines()[0] == "location_id,location_code,variant_id,sku,name,on_hand,"
        "avg_unit_cost,value"
    )


@pytest.mark.parametrize(
    "url, params",
    [
        (MOVEMENTS, {"date_from": "2020-01-01", "date_to": "2029-01-01"}),
        (VALUATION, {}),
    ],
)
def test_report_query_count_does_not_grow_with_page_size(
    manager_client, tenant, store, stock, url, params
):
    for _ in range(12):
        stock(factories.VariantFactory(tenant=tenant), store, 2, unit_cost="1")
    manager_client.get(url, params)
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(url, {**params, "page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_valuation_json_equals_the_serializer_path(viewer_client, tenant, store, warehouse, stock):
    """Rows from values_list() through plain_rows: the bytes of the instance + DRF path."""
    import json

    from storekeep.core.numbers import money
    from storekeep.inventory.rules import stock_value, stock_value_expression
    from storekeep.reports.api.inventory import ValuationRowSerializer, ValuationTotalsSerializer
    from storekeep.reports.selectors import valuation_list

    product = factories.ProductFactory(tenant=tenant, name='Mug "big", blue')
    named = factories.VariantFactory(tenant=tenant, sku="A-1", product=product, name="Large")
    plain = factories.VariantFactory(tenant=tenant, sku="B-2", product=product, name="")
    stock(named, store, 7, unit_cost="1.3333")
    stock(named, warehouse, 2, unit_cost="0.0051")
    stock(plain, store, 3, unit_cost="2.125")
    items, totals = valuation_list(tenant=tenant)
    whole = InventoryItem.objects.filter(tenant=tenant).exclude(on_hand=0)
    whole = whole.aggregate(qty=Sum("on_hand"), value=Sum(stock_value_expression()))
    totals = {**totals, "total_qty": whole["qty"], "total_value": money(whole["value"])}
    before = {
        "count": 3,
        "next": None,
        "previous": None,
        "results": ValuationRowSerializer(
            [
                {
                    "location_id": i.location_id,
                    "location_code": i.location.code,
                    "variant_id": i.variant_id,
                    "sku": i.variant.sku,
                    "name": i.variant.display_name,
                    "on_hand": i.on_hand,
                    "avg_unit_cost": i.avg_unit_cost,
                    "value": stock_value(i.on_hand, i.avg_unit_cost),
                }
                for i in items
            ],
            many=True,
        ).data,
        "totals": ValuationTotalsSerializer({"currency": tenant.currency, **totals}).data,
    }
    response = viewer_client.get(VALUATION)
    pairs = json.loads(response.content, object_pairs_hook=list)  # key order too
    assert pairs == json.loads(json.dumps(before), object_pairs_hook=list)
    assert {r["name"] for r in before["results"]} == {'Mug "big", blue — Large', 'Mug "big", blue'}
    assert before["totals"]["total_value"] == str(
        (D("7") * D("1.3333") + D("2") * D("0.0051") + D("3") * D("2.125")).quantize(D("0.01"))
    )
