"""Webhooks (issue 15 item 2) on any database, without a broker: the API (endpoints, secret
shown once, rotate, SSRF, deliveries, redeliver), outbox rows written in the business
transaction by every event source, and delivery by ``manage.py deliver_webhooks`` to a local
receiver (signature, retries with backoff, FAILED after the last attempt)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from storekeep.core.models import IdempotencyRecord, OutboxEvent
from storekeep.core.outbox import EVENT_TYPES, emit_event, quiet_events
from storekeep.inventory.models import Reservation
from storekeep.inventory.services import (
    StockLine,
    confirm_reservation,
    release_expired_reservations,
    reserve_stock,
    write_off,
)
from storekeep.tenants.models import Role
from storekeep.webhooks import services
from storekeep.webhooks.models import WebhookDelivery, WebhookEndpoint

URL = "/api/v1/webhooks"
LOOPBACK = override_settings(STOREKEEP_WEBHOOK_ALLOW_PRIVATE=True)
EMBEDDED = override_settings(CELERY_TASK_ALWAYS_EAGER=True)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (the README's snippet)."""
    timestamp = headers["Storekeep-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["Storekeep-Signature"], "v1=" + expected.hexdigest())


def register(client, url, events=("sale.completed",), **extra):
    response = client.post(URL, {"url": url, "events": list(events), **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- the API -----------------------------------------------------------------------------


@LOOPBACK
def test_owner_registers_an_endpoint_and_sees_the_secret_once(owner_client):
    created = register(
        owner_client, "https://shop.example.com/hooks", ["sale.completed", "stock.low"]
    )
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["events"] == ["sale.completed", "stock.low"] and created["is_active"] is True
    detail = owner_client.get(f"{URL}/{created['id']}").json()
    assert "secret" not in detail and detail["url"] == "https://shop.example.com/hooks"
    listed = owner_client.get(URL).json()["results"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    stored = WebhookEndpoint.objects.get(pk=created["id"])
    assert stored.secret == created["secret"]  # the HMAC key itself, needed to sign
    rotated = owner_client.post(f"{URL}/{created['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != created["secret"]
    assert rotated["Cache-Control"] == "no-store"
    stored.refresh_from_db()
    assert stored.secret == rotated.json()["secret"] and stored.secret_rotated_at


def test_a_replayed_create_never_returns_a_stored_secret(owner_client):
    body = {"url": "https://shop.example.com/h", "events": ["sale.completed"]}
    first = owner_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    again = owner_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and WebhookEndpoint.objects.count() == 1
    assert again.json()["secret"] != first.json()["secret"]  # a new one, the first revoked
    assert WebhookEndpoint.objects.get().secret == again.json()["secret"]
    record = IdempotencyRecord.objects.get(key="wh-1")
    assert first.json()["secret"] not in json.dumps(record.response_body)
    assert again.json()["secret"] not in json.dumps(record.response_body)


def test_update_and_delete(owner_client):
    created = register(owner_client, "https://a.example.com/h")
    changed = owner_client.patch(
        f"{URL}/{created['id']}",
        {"events": ["stock.low"], "is_active": False, "url": "https://b.example.com/h"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["stock.low"] and changed.json()["is_active"] is False
    assert owner_client.delete(f"{URL}/{created['id']}").status_code == 204
    assert owner_client.get(f"{URL}/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/h",
        "http://localhost/h",
        "http://10.1.2.3/h",
        "http://192.168.0.10/h",
        "http://172.16.5.5/h",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/h",
        "http://0.0.0.0/h",
        "ftp://example.com/h",
        "not a url",
    ],
)
def test_private_and_loopback_targets_are_refused(owner_client, url):
    response = owner_client.post(URL, {"url": url, "events": ["sale.completed"]}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert WebhookEndpoint.objects.count() == 0


@LOOPBACK
def test_private_targets_are_allowed_with_the_setting(owner_client):
    register(owner_client, "http://127.0.0.1:8221/h")


@pytest.mark.parametrize("events", [[], ["sale.exploded"], "sale.completed", [1]])
def test_unknown_event_types_are_refused(owner_client, events):
    response = owner_client.post(
        URL, {"url": "https://x.example.com", "events": events}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_only_an_owner_manages_webhooks(client_for, owner_client):
    created = register(owner_client, "https://shop.example.com/h")
    for role in (Role.MANAGER, Role.INTEGRATION, Role.CASHIER, Role.VIEWER):
        client = client_for(role)
        assert client.get(URL).status_code == 403
        assert (
            client.post(
                URL, {"url": "https://e.example.com", "events": ["stock.low"]}, format="json"
            ).status_code
            == 403
        )
        assert client.post(f"{URL}/{created['id']}/rotate-secret").status_code == 403
        assert client.get(f"{URL}/{created['id']}/deliveries").status_code == 403


def test_the_secret_is_not_in_the_admin(admin_client, owner_client):
    from django.urls import reverse

    created = register(owner_client, "https://shop.example.com/h")
    page = admin_client.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[created["id"]])
    ).content.decode()
    assert "shop.example.com" in page and created["secret"] not in page


@pytest.fixture
def admin_client(client, db):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    return client


# --- outbox rows in the business transaction ---------------------------------------------


def test_events_share_the_business_transaction(tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit_event(tenant=tenant, event_type="stock.low", data={"x": 1})
        raise RuntimeError("the business change fails")
    assert OutboxEvent.objects.count() == 0
    with transaction.atomic():
        emit_event(tenant=tenant, event_type="stock.low", data={"x": 1})
    assert OutboxEvent.objects.count() == 1
    with quiet_events():
        assert emit_event(tenant=tenant, event_type="stock.low", data={}) is None
    with pytest.raises(ValueError):
        emit_event(tenant=tenant, event_type="sale.exploded", data={})


def test_every_event_source_writes_its_event(tenant, store, warehouse, variant, stock):
    from storekeep.inventory.services.counts import count_create, count_finalize, count_record_scan
    from storekeep.inventory.services.transfers import (
        TransferLineInput,
        TransferReceiveLine,
        transfer_create,
        transfer_receive,
        transfer_send,
    )
    from storekeep.pos.services import (
        CartLine,
        ReturnLineInput,
        checkout,
        return_process,
        sale_void,
    )

    variant.reorder_point = Decimal("2")
    variant.save()
    stock(variant, store, 10)
    sale = checkout(
        tenant=tenant,
        lines=[CartLine(qty=Decimal("2"), variant_id=variant.pk)],
        location=store,
        source="API",
    ).sale
    voided = checkout(
        tenant=tenant,
        lines=[CartLine(qty=Decimal("1"), variant_id=variant.pk)],
        location=store,
        source="API",
    ).sale
    sale_void(tenant=tenant, sale_id=voided.pk)
    return_process(
        tenant=tenant,
        sale_id=sale.pk,
        lines=[ReturnLineInput(qty=Decimal("1"), sale_line_id=sale.lines.get().pk)],
    )
    reservation = reserve_stock(
        tenant=tenant, location_id=store.pk, variant_id=variant.pk, qty=Decimal("1")
    )
    confirm_reservation(tenant=tenant, reservation_id=reservation.pk)
    late = reserve_stock(
        tenant=tenant, location_id=store.pk, variant_id=variant.pk, qty=Decimal("1")
    )
    Reservation.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert release_expired_reservations() == 1
    write_off(
        tenant=tenant,
        location_id=store.pk,
        reason="damage",
        lines=[StockLine(variant.pk, Decimal("6"))],
    )
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=store.pk,
        to_location_id=warehouse.pk,
        lines=[TransferLineInput(variant.pk, Decimal("1"))],
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    transfer_receive(
        tenant=tenant,
        transfer_id=transfer.pk,
        lines=[TransferReceiveLine(variant.pk, Decimal("1"))],
    )
    count = count_create(tenant=tenant, location_id=warehouse.pk)
    count_record_scan(
        tenant=tenant, count_id=count.pk, variant_id=variant.pk, counted_qty=Decimal("3")
    )
    count_finalize(tenant=tenant, count_id=count.pk)
    _receive_a_purchase_order(tenant, store, variant)
    types = list(OutboxEvent.objects.order_by("pk").values_list("event_type", flat=True))
    assert set(types) == set(EVENT_TYPES), types
    completed = OutboxEvent.objects.filter(event_type="sale.completed").first().payload
    assert completed["sale_id"] == sale.pk and completed["lines"][0]["qty"] == "2.000"
    low = OutboxEvent.objects.filter(event_type="stock.low").first().payload
    assert low["sku"] == variant.sku and low["location_id"] == store.pk


def _receive_a_purchase_order(tenant, store, variant):
    from storekeep.purchasing.models import PurchaseOrder, PurchaseOrderLine, Vendor
    from storekeep.purchasing.services import (
        ReceiveLineInput,
        purchase_order_receive,
        purchase_order_submit,
    )

    vendor = Vendor.objects.create(tenant=tenant, name="Acme Supplies", code="ACME")
    order = PurchaseOrder.objects.create(tenant=tenant, vendor=vendor, location=store)
    PurchaseOrderLine.objects.create(
        tenant=tenant,
        order=order,
        variant=variant,
        qty_ordered=Decimal("2"),
        unit_cost=Decimal("1"),
    )
    purchase_order_submit(tenant=tenant, order_id=order.pk)
    purchase_order_receive(
        tenant=tenant,
        order_id=order.pk,
        lines=[ReceiveLineInput(variant_id=variant.pk, qty=Decimal("2"))],
    )


def test_the_importer_writes_no_events(tenant):
    with quiet_events():
        emit_event(tenant=tenant, event_type="sale.completed", data={})
    assert not OutboxEvent.objects.exists()


# --- delivery without a broker: manage.py deliver_webhooks ------------------------------------


@LOOPBACK
@EMBEDDED
def test_embedded_mode_never_sends_in_the_request_and_deliver_webhooks_does(
    owner_client, tenant, variant, store, stock, receiver, django_capture_on_commit_callbacks
):
    created = register(owner_client, receiver.url)
    stock(variant, store, 5)
    from storekeep.pos.services import CartLine, checkout

    with django_capture_on_commit_callbacks(execute=True):
        sale = checkout(
            tenant=tenant,
            lines=[CartLine(qty=Decimal("1"), variant_id=variant.pk)],
            location=store,
            source="API",
        ).sale
    assert receiver.snapshot() == []  # nothing was sent in the request thread
    event = OutboxEvent.objects.get(event_type="sale.completed")
    assert event.status == "PENDING"
    call_command("deliver_webhooks")
    (got,) = receiver.snapshot()
    assert verify(created["secret"], got.headers, got.body)
    document = json.loads(got.body)
    assert set(document) == {"id", "type", "created_at", "tenant", "data"}
    assert document["id"] == f"evt_{event.pk}" == got.headers["Storekeep-Event-Id"]
    assert document["type"] == "sale.completed" == got.headers["Storekeep-Event-Type"]
    assert document["tenant"] == tenant.slug and document["data"]["sale_id"] == sale.pk
    assert abs(int(got.headers["Storekeep-Timestamp"]) - timezone.now().timestamp()) < 60
    assert not verify("whsec_wrong", got.headers, got.body)
    assert not verify(created["secret"], got.headers, got.body + b" ")
    deliveries = owner_client.get(f"{URL}/{created['id']}/deliveries").json()["results"]
    assert len(deliveries) == 1 and deliveries[0]["status"] == "SUCCEEDED"
    assert deliveries[0]["attempts"] == 1 and deliveries[0]["last_status_code"] == 200
    assert deliveries[0]["event_id"] == f"evt_{event.pk}"
    call_command("deliver_webhooks")
    assert len(receiver.snapshot()) == 1  # nothing is sent twice


@LOOPBACK
@EMBEDDED
@override_settings(STOREKEEP_WEBHOOK_RETRY_BASE_SECONDS=0, STOREKEEP_WEBHOOK_MAX_ATTEMPTS=8)
def test_failures_retry_then_fail_and_redeliver_starts_again(owner_client, tenant, receiver):
    created = register(owner_client, receiver.url, ["stock.low"])
    emit_event(tenant=tenant, event_type="stock.low", data={"n": 1})
    receiver.status = 500
    for _ in range(10):
        call_command("deliver_webhooks")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "FAILED" and delivery.attempts == 8
    assert len(receiver.snapshot()) == 8 and delivery.last_status_code == 500
    listed = owner_client.get(f"{URL}/{created['id']}/deliveries", {"status": "FAILED"}).json()
    assert listed["count"] == 1 and listed["results"][0]["last_response"] == "ok"
    receiver.status = 200
    again = owner_client.post(f"{URL}/{created['id']}/deliveries/{delivery.pk}/redeliver")
    assert again.status_code == 202 and again.json()["status"] == "PENDING"
    call_command("deliver_webhooks")
    delivery.refresh_from_db()
    assert delivery.status == "SUCCEEDED" and delivery.attempts == 1
    bodies = {r.body for r in receiver.snapshot()}
    assert len(bodies) == 1  # every attempt sent the same bytes (same id to de-duplicate)


def test_backoff_starts_within_30_seconds_and_doubles(settings):
    assert settings.STOREKEEP_WEBHOOK_MAX_ATTEMPTS >= 8
    waits = [services.backoff_seconds(n) for n in range(1, settings.STOREKEEP_WEBHOOK_MAX_ATTEMPTS)]
    assert 0 < waits[0] <= 30
    assert all(b == 2 * a for a, b in zip(waits, waits[1:], strict=False))


@EMBEDDED
def test_a_target_that_resolves_to_a_private_address_is_refused_at_delivery(owner_client, tenant):
    endpoint, _ = services.endpoint_create(
        tenant=tenant, url="http://internal.localtest.invalid/h", events=["stock.low"]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:8229/h")
    emit_event(tenant=tenant, event_type="stock.low", data={})
    call_command("deliver_webhooks")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "PENDING" and delivery.attempts == 1
    assert delivery.last_error.startswith("refused:") and delivery.last_status_code is None


@LOOPBACK
@EMBEDDED
def test_inactive_or_unsubscribed_endpoints_get_nothing(owner_client, tenant, receiver):
    register(owner_client, receiver.url, ["stock.low"], is_active=False)
    register(owner_client, receiver.url, ["sale.voided"])
    emit_event(tenant=tenant, event_type="stock.low", data={})
    call_command("deliver_webhooks")
    assert receiver.snapshot() == [] and WebhookDelivery.objects.count() == 0
    assert OutboxEvent.objects.get().status == "SENT"


@LOOPBACK
@EMBEDDED
def test_another_tenants_events_never_reach_an_endpoint(owner_client, other_tenant, receiver):
    register(owner_client, receiver.url, ["stock.low"])
    emit_event(tenant=other_tenant, event_type="stock.low", data={})
    call_command("deliver_webhooks")
    assert receiver.snapshot() == []


def test_deliveries_list_query_count_is_constant(
    owner_client, tenant, django_assert_max_num_queries
):
    endpoint, _ = services.endpoint_create(
        tenant=tenant, url="https://x.example.com", events=["stock.low"]
    )
    for _ in range(3):
        event = emit_event(tenant=tenant, event_type="stock.low", data={})
        WebhookDelivery.objects.create(tenant=tenant, endpoint=endpoint, event=event)
    with django_assert_max_num_queries(6):
        assert owner_client.get(f"{URL}/{endpoint.pk}/deliveries").json()["count"] == 3


def test_ids_of_another_tenant_are_404(owner_client, other_tenant):
    endpoint, _ = services.endpoint_create(
        tenant=other_tenant, url="https://x.example.com", events=["stock.low"]
    )
    assert owner_client.get(f"{URL}/{endpoint.pk}").status_code == 404
    assert owner_client.post(f"{URL}/{endpoint.pk}/rotate-secret").status_code == 404
    assert owner_client.get(f"{URL}/{endpoint.pk}/deliveries").status_code == 404
