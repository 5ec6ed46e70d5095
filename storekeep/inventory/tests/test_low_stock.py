"""Low-stock alerts: one per downward crossing through real flows, and their list endpoint (SPEC §4)."""

import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.core.models import OutboxEvent
from storekeep.inventory.models import InventoryItem, LowStockAlert
from storekeep.inventory.services import StockLine, record_sale
from storekeep.inventory.services.counts import count_create, count_finalize, count_record_scan
from storekeep.inventory.services.transfers import TransferLineInput, transfer_create, transfer_send
from storekeep.inventory.tasks import low_stock_alerts
from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.testing.http import csv_text

D = Decimal
URL = "/api/v1/inventory/low-stock-alerts"
pytestmark = pytest.mark.django_db


def sell(variant, location, qty, ref="S"):
    record_sale(
        tenant=variant.tenant,
        location_id=location.pk,
        lines=[StockLine(variant.pk, D(qty))],
        ref_id=ref,
    )


def alerts(variant, location=None):
    qs = LowStockAlert.objects.filter(variant=variant).order_by("pk")
    return list(qs.filter(location=location) if location else qs)


def test_one_alert_per_downward_crossing_through_sales_and_receipts(tenant, store, stock):
    variant = factories.VariantFactory(tenant=tenant, reorder_point=D("5"))
    stock(variant, store, 10)
    sell(variant, store, "3")
    assert alerts(variant) == []  # 7 > 5
    sell(variant, store, "2")
    assert [(a.available, a.threshold) for a in alerts(variant)] == [
        (D("5"), D("5"))
    ]  # 5 ≤ 5: crossed
    sell(variant, store, "4")
    assert len(alerts(variant)) == 1  # still under: no new alert
    stock(variant, store, 10)  # 11 > 5: reset
    assert InventoryItem.objects.get(variant=variant, location=store).low_stock_alerted is False
    sell(variant, store, "8")
    assert [a.available for a in alerts(variant)] == [D("5"), D("3")]


def test_item_override_beats_variant_and_tenant_default(tenant, store, warehouse, stock):
    tenant.default_reorder_point = D("2")
    tenant.save()
    plain = factories.VariantFactory(tenant=tenant)
    pointed = factories.VariantFactory(tenant=tenant, reorder_point=D("8"))
    for variant in (plain, pointed):
        stock(variant, store, 10)
    InventoryItem.objects.filter(variant=pointed, location=store).update(reorder_point=D("1"))
    sell(plain, store, "8")  # 2 ≤ tenant default 2
    sell(pointed, store, "7")  # 3 > item override 1 (variant's 8 does not apply)
    assert [a.threshold for a in alerts(plain)] == [D("2")]
    assert alerts(pointed) == []


def test_transfer_send_and_count_finalize_cross_too(tenant, store, warehouse, stock):
    variant = factories.VariantFactory(tenant=tenant, reorder_point=D("4"))
    stock(variant, warehouse, 10)
    stock(variant, store, 10)
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[TransferLineInput(variant.pk, D("7"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    assert [a.location_id for a in alerts(variant)] == [warehouse.pk]
    count = count_create(tenant=tenant, location_id=store.pk)
    count_record_scan(tenant=tenant, count_id=count.pk, variant_id=variant.pk, counted_qty=D("4"))
    count_finalize(tenant=tenant, count_id=count.pk)
    assert [a.location_id for a in alerts(variant)] == [warehouse.pk, store.pk]


def test_alert_task_logs_one_line_per_alert(tenant, store, stock, caplog):
    variant = factories.VariantFactory(tenant=tenant, sku="LOW-1", reorder_point=D("5"))
    stock(variant, store, 6)
    sell(variant, store, "2")
    ids = [a.pk for a in alerts(variant)]
    with caplog.at_level(logging.WARNING, logger="storekeep.inventory"):
        assert low_stock_alerts(ids) == 1
    lines = [r.getMessage() for r in caplog.records if "low stock" in r.getMessage()]
    assert lines == [f"low stock: LOW-1 at {store.code} — available 4.000 ≤ threshold 5.000"]


def test_list_filters_scope_csv_and_constant_queries(
    client_for, manager_client, tenant, other_tenant, store, warehouse, stock
):
    variants = [factories.VariantFactory(tenant=tenant, reorder_point=D("5")) for _ in range(12)]
    for index, variant in enumerate(variants):
        location = store if index % 3 else warehouse
        stock(variant, location, 6)
        sell(variant, location, "2", ref=f"S{index}")
    rival_variant = factories.VariantFactory(tenant=other_tenant, reorder_point=D("5"))
    rival_store = factories.LocationFactory(tenant=other_tenant)
    stock(rival_variant, rival_store, 1)
    manager_client.get(URL)
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(URL, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert response.json()["count"] == 12  # the other tenant's alert is not listed
    assert manager_client.get(URL, {"location_id": warehouse.pk}).json()["count"] == 4
    assert (
        manager_client.get(URL, {"variant_id": variants[1].pk}).json()["results"][0]["sku"]
        == variants[1].sku
    )
    assert manager_client.get(URL, {"acknowledged": "true"}).json()["count"] == 0
    assert (
        manager_client.get(URL, {"date_from": "2000-01-01", "date_to": "2999-01-01"}).json()[
            "count"
        ]
        == 12
    )
    assert manager_client.get(URL, {"date_from": "2999-01-01"}).json()["count"] == 0
    assert manager_client.get(URL, {"date_from": "yesterday"}).status_code == 400
    restricted = client_for(Role.VIEWER, locations=[store])
    assert restricted.get(URL).json()["count"] == 8
    assert restricted.get(URL, {"location_id": warehouse.pk}).status_code == 403
    csv = manager_client.get(URL, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert len(csv_text(csv).strip().splitlines()) == 13


def test_acknowledge_an_alert(
    client_for, cashier_client, viewer_client, tenant, other_tenant, store, warehouse, stock
):
    variant = factories.VariantFactory(tenant=tenant, reorder_point=D("5"))
    stock(variant, store, 6)
    sell(variant, store, "2")
    (alert,) = alerts(variant)
    url = f"{URL}/{alert.pk}/acknowledge"
    assert viewer_client.post(url).status_code == 403
    assert client_for(Role.CASHIER, locations=[warehouse]).post(url).status_code == 403
    assert client_for(Role.OWNER, tenant_=other_tenant).post(url).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    first = cashier_client.post(url)
    assert first.status_code == 200 and first.json()["acknowledged_at"]
    again = cashier_client.post(url)
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert cashier_client.get(URL, {"acknowledged": "true"}).json()["count"] == 1
    assert cashier_client.get(URL, {"acknowledged": "false"}).json()["count"] == 0


def test_alerts_written_inside_quiet_low_stock_alerts_are_not_announced(
    tenant, store, variant, stock, django_capture_on_commit_callbacks
):
    from storekeep.inventory.alerts import quiet_low_stock_alerts

    variant.reorder_point = D("3")
    variant.save()
    stock(variant, store, 10)
    with quiet_low_stock_alerts(), django_capture_on_commit_callbacks() as quiet:
        sell(variant, store, "8", ref="QUIET")
    assert LowStockAlert.objects.filter(tenant=tenant).count() == 1
    assert quiet == []
    assert not OutboxEvent.objects.filter(event_type="stock.low").exists()  # no webhook event
    InventoryItem.objects.filter(tenant=tenant).update(low_stock_alerted=False)
    with django_capture_on_commit_callbacks() as loud:
        sell(variant, store, "1", ref="LOUD")
    assert LowStockAlert.objects.filter(tenant=tenant).count() == 2
    # the announcement, plus (with a broker) the queueing of the stock.low webhook event
    assert len(loud) == (1 if settings.CELERY_TASK_ALWAYS_EAGER else 2)
    assert OutboxEvent.objects.filter(event_type="stock.low").count() == 1
