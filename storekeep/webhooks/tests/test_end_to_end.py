"""Webhooks end to end, as in production (issue 15 "How it must hold"): a real Celery worker
and beat (subprocesses) on the test PostgreSQL database and a Redis db of their own, a local
HTTP receiver on loopback. Signatures verify; a receiver that is down for a while gets every
event once it is back; a rolled-back sale sends nothing; 1,000 events arrive, none lost
(duplicates counted: at least once); a slow receiver does not slow a checkout (measured)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction

from storekeep.core.models import OutboxEvent
from storekeep.core.outbox import emit_events
from storekeep.pos.services import CartLine, checkout
from storekeep.testing.celery_worker import wait_for
from storekeep.webhooks import services
from storekeep.webhooks.models import WebhookDelivery

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_services"),
]


def verify(secret: str, headers: dict, body: bytes) -> bool:
    timestamp = headers["Storekeep-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["Storekeep-Signature"], "v1=" + expected.hexdigest())


@pytest.fixture
def endpoint(tenant, receiver, settings):
    settings.STOREKEEP_WEBHOOK_ALLOW_PRIVATE = True
    endpoint, secret = services.endpoint_create(
        tenant=tenant, url=receiver.url, events=["sale.completed", "stock.low"]
    )
    endpoint.raw_secret = secret
    return endpoint


def sell(tenant, store, variant, qty="1"):
    return checkout(
        tenant=tenant,
        lines=[CartLine(qty=Decimal(qty), variant_id=variant.pk)],
        location=store,
        source="API",
    ).sale


def event_ids(receiver) -> list[str]:
    return [json.loads(r.body)["id"] for r in receiver.snapshot()]


def test_a_committed_sale_arrives_signed(endpoint, receiver, tenant, store, variant, stock):
    stock(variant, store, 5)
    sale = sell(tenant, store, variant)
    (got,) = wait_for(receiver.snapshot, timeout=30, message="the sale.completed delivery")
    assert verify(endpoint.raw_secret, got.headers, got.body)
    document = json.loads(got.body)
    assert document["type"] == "sale.completed" and document["data"]["sale_id"] == sale.pk
    assert document["id"] == got.headers["Storekeep-Event-Id"]
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(status="SUCCEEDED").first(), timeout=10
    )
    assert delivery.attempts == 1 and delivery.last_status_code == 200


def test_a_rolled_back_sale_sends_nothing(endpoint, receiver, tenant, store, variant, stock):
    stock(variant, store, 5)
    with pytest.raises(RuntimeError), transaction.atomic():
        sell(tenant, store, variant)
        raise RuntimeError("the order fails after the sale was written")
    assert not OutboxEvent.objects.exists()
    committed = sell(tenant, store, variant)  # the pipeline is alive: this one arrives
    wait_for(receiver.snapshot, timeout=30, message="the committed sale")
    time.sleep(2.5)  # two beat sweeps: nothing else turns up
    documents = [json.loads(r.body) for r in receiver.snapshot()]
    assert [d["data"]["sale_id"] for d in documents] == [committed.pk]


def test_a_receiver_that_is_down_gets_every_event_once_back(
    endpoint, receiver, tenant, store, variant, stock
):
    stock(variant, store, 10)
    receiver.stop()  # connection refused
    sales = [sell(tenant, store, variant) for _ in range(3)]
    wait_for(
        lambda: WebhookDelivery.objects.filter(attempts__gte=2).count() == 3,
        timeout=30,
        message="two failed attempts each",
    )
    assert WebhookDelivery.objects.filter(status="PENDING").count() == 3
    receiver.start()  # the same port
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="SUCCEEDED").count() == 3,
        timeout=60,
        message="delivery after the receiver came back",
    )
    got = {json.loads(r.body)["data"]["sale_id"] for r in receiver.snapshot()}
    assert got == {sale.pk for sale in sales}
    attempts = sorted(WebhookDelivery.objects.values_list("attempts", flat=True))
    print(f"\nreceiver down then up: attempts per delivery {attempts}")


def test_a_thousand_events_none_lost(endpoint, receiver, tenant):
    started = time.monotonic()
    for batch in range(10):  # ten business transactions of 100 events each
        with transaction.atomic():
            emit_events(
                tenant=tenant,
                events=[("stock.low", {"n": batch * 100 + i}) for i in range(100)],
            )
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="SUCCEEDED").count() == 1000,
        timeout=240,
        interval=0.5,
        message="1,000 deliveries",
    )
    elapsed = time.monotonic() - started
    ids = Counter(event_ids(receiver))
    expected = {f"evt_{pk}" for pk in OutboxEvent.objects.values_list("pk", flat=True)}
    assert set(ids) == expected and len(expected) == 1000  # none lost, none foreign
    numbers = {json.loads(r.body)["data"]["n"] for r in receiver.snapshot()}
    assert numbers == set(range(1000))
    duplicates = sum(count - 1 for count in ids.values())
    print(f"\n1,000 events: {len(ids)} distinct received, {duplicates} duplicates, {elapsed:.1f} s")
    assert duplicates <= 10  # at least once; a duplicate only after an ambiguous failure


def test_a_slow_receiver_does_not_slow_a_checkout(
    endpoint, receiver, tenant, store, variant, stock
):
    stock(variant, store, 100)
    sell(tenant, store, variant)  # warm up
    wait_for(receiver.snapshot, timeout=60, message="the warm-up sale")

    def timed(n=5) -> float:
        began = time.perf_counter()
        for _ in range(n):
            sell(tenant, store, variant)
        return (time.perf_counter() - began) / n

    receiver.delay = 0.0
    fast = timed()
    receiver.delay = 3.0  # every delivery now takes 3 s to answer
    slow = timed()
    print(
        f"\ncheckout with a webhook subscriber: {fast * 1000:.0f} ms when the receiver answers "
        f"at once, {slow * 1000:.0f} ms when it takes 3 s"
    )
    assert slow < 1.0 and slow < fast + 0.5
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="SUCCEEDED").count() == 11,
        timeout=60,
        message="the slow deliveries to finish",
    )
