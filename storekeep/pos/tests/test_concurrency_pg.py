"""Checkout under real concurrency on PostgreSQL (SPEC §3.3, §3.4, §3.8).

Real threads, each with its own database connection, over the HTTP API.
"""

import random
import threading
from collections import Counter, defaultdict
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from storekeep.core.errors import Conflict
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.pos.models import ApprovalToken, RegisterSession, Return, Sale, SaleLine
from storekeep.pos.services import (
    CartLine,
    ReturnLineInput,
    checkout,
    register_session_open,
    return_process,
)

from .factories import RegisterFactory, bearer, build_world
from .test_checkout import assert_ledger_parity

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(n, target):
    barrier = threading.Barrier(n)
    results = [None] * n
    errors = []

    def runner(i):
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as exc:  # surfaced below: a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    return results


def test_200_concurrent_checkouts_on_hot_variants_never_oversell():
    world = build_world(n_variants=5, on_hand="20")
    hot = world.variants
    initial = {v.pk: D("20") for v in hot}
    # four tills and the back office sell at the same time
    tills = []
    for i in range(4):
        register = (
            world.register
            if i == 0
            else RegisterFactory(tenant=world.tenant, location=world.store, code=f"T{i + 1}")
        )
        _, raw = register_session_open(membership=world.cashier, register=register)
        tills.append(f"Register {raw}")
    back_office = bearer(world.manager)
    rng = random.Random(1234)
    plans = []
    for i in range(200):
        picked = rng.sample(hot, rng.randint(1, 3))
        plans.append((i, [{"variant_id": v.pk, "qty": str(rng.choice([1, 1, 2]))} for v in picked]))
    n_threads = 8

    def worker(t):
        client = APIClient()
        statuses = []
        for i, lines in plans[t::n_threads]:
            auth = back_office if i % 5 == 4 else tills[i % 4]
            client.credentials(HTTP_AUTHORIZATION=auth)
            body = {"lines": lines, "tenders": [{"method": "CARD", "amount": "10000.00"}]}
            if auth == back_office:
                body = {"lines": lines, "location_id": world.store.pk}
            else:
                total = sum(D(ln["qty"]) for ln in lines) * D("10.00")
                body["tenders"] = [{"method": "CASH", "amount": str(total)}]
            r = client.post("/api/v1/pos/checkout", body, format="json")
            statuses.append((r.status_code, r.json().get("code")))
        return statuses

    outcomes = [s for batch in run_threads(n_threads, worker) for s in batch]
    counts = Counter(outcomes)
    assert len(outcomes) == 200
    assert set(counts) <= {(201, None), (409, "insufficient_stock"), (409, "concurrent_update")}, (
        counts
    )
    assert counts[(201, None)] > 0 and counts[(409, "insufficient_stock")] > 0, counts
    completed = Sale.objects.filter(tenant=world.tenant, status="COMPLETED")
    assert completed.count() == counts[(201, None)]
    sold = defaultdict(lambda: D("0"))
    for variant_id, qty in (
        SaleLine.objects.filter(sale__in=completed)
        .values_list("variant_id")
        .annotate(q=Sum("qty"))
        .values_list("variant_id", "q")
    ):
        sold[variant_id] = qty
    for item in InventoryItem.objects.filter(tenant=world.tenant, variant__in=hot):
        assert item.on_hand >= 0
        assert sold[item.variant_id] + item.on_hand == initial[item.variant_id]
    # demand far exceeds supply: nearly everything sold, never more
    assert sum(sold.values()) <= sum(initial.values())
    assert sum(sold.values()) >= sum(initial.values()) - 10
    assert StockLedger.objects.filter(tenant=world.tenant, ref_type="SALE").aggregate(
        s=Sum("qty_delta")
    )["s"] == -sum(sold.values())
    assert_ledger_parity(world.tenant)
    receipts = list(completed.values_list("receipt_number", flat=True))
    assert len(receipts) == len(set(receipts))


def test_same_idempotency_key_twenty_times_concurrently_creates_one_sale():
    world = build_world(n_variants=1, on_hand="100")
    _, raw = register_session_open(membership=world.cashier, register=world.register)
    body = {
        "lines": [{"variant_id": world.variants[0].pk, "qty": "1"}],
        "tenders": [{"method": "CARD", "amount": "10.00"}],
    }

    def attempt(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Register {raw}")
        r = client.post(
            "/api/v1/pos/checkout", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key-20"
        )
        return r.status_code, r.json()

    results = run_threads(20, attempt)
    assert Sale.objects.filter(tenant=world.tenant).count() == 1
    sale_id = Sale.objects.get(tenant=world.tenant).pk
    assert [status for status, _ in results] == [201] * 20, results
    assert {body["sale_id"] for _, body in results} == {sale_id}
    item = InventoryItem.objects.get(tenant=world.tenant, variant=world.variants[0])
    assert item.on_hand == D("99")
    assert StockLedger.objects.filter(tenant=world.tenant, ref_type="SALE").count() == 1


def test_concurrent_voids_of_one_sale_restore_stock_once():
    world = build_world(n_variants=1, on_hand="10")
    # this test is about concurrency, not approvals (issue 12: a cashier's void needs one by default)
    world.tenant.cashier_void_requires_approval = False
    world.tenant.save(update_fields=["cashier_void_requires_approval"])
    _, raw = register_session_open(membership=world.cashier, register=world.register)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Register {raw}")
    sale = client.post(
        "/api/v1/pos/checkout",
        {
            "lines": [{"variant_id": world.variants[0].pk, "qty": "3"}],
            "tenders": [{"method": "CARD", "amount": "30.00"}],
        },
        format="json",
    ).json()

    def void(_):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Register {raw}")
        return c.post(f"/api/v1/pos/sales/{sale['sale_id']}/void").status_code

    assert run_threads(10, void) == [200] * 10
    assert StockLedger.objects.filter(ref_type="VOID", ref_id=str(sale["sale_id"])).count() == 1
    item = InventoryItem.objects.get(tenant=world.tenant, variant=world.variants[0])
    assert item.on_hand == D("10")


def test_concurrent_one_pass_returns_of_one_line_never_return_more_than_was_sold():
    """return_process locks the sale, then its lines, as it reads them (SPEC §5): 8 threads each
    returning 1 of a line sold 5 times — exactly 5 succeed, the rest 409 return_exceeds_sold,
    and the refunds add up to what was paid for the line."""
    world = build_world(n_variants=1, on_hand="20")
    (variant,) = world.variants
    sold = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=[CartLine(variant_id=variant.pk, qty=D("5"), discount_percent=D("7"))],
        order_discount_amount=D("0.33"),
    )
    line = sold.lines[0]

    def worker(_):
        try:
            ret = return_process(
                tenant=world.tenant,
                sale_id=sold.sale.pk,
                lines=[ReturnLineInput(qty=D("1"), sale_line_id=line.pk)],
            )
            return ("ok", ret.refund_total)
        except Conflict as exc:
            return (exc.code, None)

    results = run_threads(8, worker)
    assert Counter(code for code, _ in results) == {"ok": 5, "return_exceeds_sold": 3}
    assert SaleLine.objects.get(pk=line.pk).qty_returned == D("5")
    assert sum(total for code, total in results if code == "ok") == line.line_total
    assert (
        Return.objects.filter(sale=sold.sale).aggregate(t=Sum("refund_total"))["t"]
        == line.line_total
    )
    item = InventoryItem.objects.get(tenant=world.tenant, location=world.store, variant=variant)
    assert item.on_hand == D("20")
    assert_ledger_parity(world.tenant)


def test_one_approval_token_used_twice_concurrently_approves_once():
    """Issue 12: two cashier voids race with the same manager approval token; the token's
    row lock lets exactly one of them through, the other is 403 ``approval_invalid``."""
    world = build_world(n_variants=1, on_hand="10")
    _, till = world.open_session()
    sales = [
        checkout(
            tenant=world.tenant,
            lines=[CartLine(variant_id=world.variants[0].pk, qty=D("1"))],
            tenders=[],
            register_session=RegisterSession.objects.get(tenant=world.tenant),
            actor=world.cashier.user,
            source="API",
        ).sale
        for _ in range(2)
    ]
    issued = APIClient()
    issued.credentials(HTTP_AUTHORIZATION=bearer(world.manager))
    token = issued.post("/api/v1/pos/approvals", {"reason": "race"}, format="json").json()["token"]

    def void(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=till)
        r = client.post(
            f"/api/v1/pos/sales/{sales[i].pk}/void", {"approval_token": token}, format="json"
        )
        return r.status_code, r.json().get("code")

    results = run_threads(2, void)
    assert sorted(status for status, _ in results) == [200, 403], results
    assert [code for status, code in results if status == 403] == ["approval_invalid"]
    assert Sale.objects.filter(tenant=world.tenant, status="VOIDED").count() == 1
    token_row = ApprovalToken.objects.get(tenant=world.tenant)
    assert token_row.used_at is not None
    voided = Sale.objects.get(tenant=world.tenant, status="VOIDED")
    assert token_row.used_for == f"void:{voided.pk}"
    assert voided.void_approved_by_id == world.manager.user_id
