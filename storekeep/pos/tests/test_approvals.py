"""Manager approval of what a cashier may not do alone (issue 12 item 3): voids, returns
without receipt, refunds above the limit, discounts above the limit — by the manager's
credentials (through the login throttle) or a single-use approval token."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from storekeep.core.models import IdempotencyRecord
from storekeep.inventory.models import StockLedger
from storekeep.pos.models import ApprovalToken, Return, Sale, SaleLine
from storekeep.tenants.models import Role

from .factories import LocationFactory, bearer, build_world, member

pytestmark = pytest.mark.django_db
PASSWORD = "password"  # the factories' password


def client(auth=None):
    c = APIClient()
    if auth:
        c.credentials(HTTP_AUTHORIZATION=auth)
    return c


def open_till(world, membership=None):
    r = client(bearer(membership or world.cashier)).post(
        f"/api/v1/pos/registers/{world.register.pk}/sessions",
        {"opening_float": "100.00"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()["session_id"], client(f"Register {r.json()['token']}")


def sell(till, lines=None, world=None, **extra):
    body = {
        "lines": lines or [{"variant_id": world.variants[0].pk, "qty": "1"}],
        "tenders": [{"method": "CASH", "amount": "100.00"}],
        **extra,
    }
    return till.post("/api/v1/pos/checkout", body, format="json")


def creds(membership, password=PASSWORD):
    return {"username": membership.user.username, "password": password}


def issue(membership, **body):
    r = client(bearer(membership)).post("/api/v1/pos/approvals", body, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["token"]


@pytest.fixture
def world(db):
    w = build_world()
    for m in (w.cashier, w.manager):
        m.user.set_password(PASSWORD)
        m.user.save()
    return w


def staff(world, role, locations=(), tenant=None):
    m = member(tenant or world.tenant, role, locations=locations)
    m.user.set_password(PASSWORD)
    m.user.save()
    return m


# ----------------------------------------------------------------------------- voids


def test_cashier_void_is_refused_without_approval_and_changes_nothing(world):
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    r = till.post(f"/api/v1/pos/sales/{sale['sale_id']}/void", {"reason": "x"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "approval_required"
    assert r.json()["details"]["action"].startswith("void")
    assert Sale.objects.get(pk=sale["sale_id"]).status == "COMPLETED"
    assert not StockLedger.objects.filter(ref_type="VOID").exists()


def test_cashier_void_with_a_managers_credentials_stores_approver_and_reason(world):
    session_id, till = open_till(world)
    sale = sell(till, world=world).json()
    url = f"/api/v1/pos/sales/{sale['sale_id']}/void"
    r = till.post(url, {"approval": creds(world.manager)}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    assert Sale.objects.get(pk=sale["sale_id"]).status == "COMPLETED"
    r = till.post(url, {"reason": "Wrong item", "approval": creds(world.manager)}, format="json")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "VOIDED" and body["void_reason"] == "Wrong item"
    assert body["void_approved_by"] == world.manager.user.username
    assert body["void_approved_by_id"] == world.manager.user_id
    note = StockLedger.objects.get(ref_type="VOID", ref_id=str(sale["sale_id"])).note
    assert note == f"Void: Wrong item; approved by {world.manager.user.username}"
    z = till.get(f"/api/v1/pos/sessions/{session_id}").json()
    assert z["voids"][0]["approved_by"] == world.manager.user.username
    assert z["approvals"] == [
        {
            "kind": "VOID",
            "sale_id": sale["sale_id"],
            "return_id": None,
            "receipt_number": sale["receipt_number"],
            "amount": "10.00",
            "approved_by": world.manager.user.username,
            "reason": "Wrong item",
        }
    ]


@pytest.mark.parametrize(
    "who", ["cashier", "other_store_manager", "inactive_manager", "other_tenant_owner"]
)
def test_only_an_active_manager_of_the_store_can_approve(world, who):
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    if who == "cashier":
        approver = staff(world, Role.CASHIER, locations=[world.store])
    elif who == "other_store_manager":
        approver = staff(world, Role.MANAGER, locations=[LocationFactory(tenant=world.tenant)])
    elif who == "inactive_manager":
        approver = staff(world, Role.MANAGER)
        approver.is_active = False
        approver.save()
    else:
        approver = staff(world, Role.OWNER, tenant=build_world(n_variants=0).tenant)
    r = till.post(
        f"/api/v1/pos/sales/{sale['sale_id']}/void",
        {"reason": "x", "approval": creds(approver)},
        format="json",
    )
    assert r.status_code == 403 and r.json()["code"] == "approval_invalid"
    assert Sale.objects.get(pk=sale["sale_id"]).status == "COMPLETED"


def test_an_owner_approves_and_a_wrong_password_is_refused(world):
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    url = f"/api/v1/pos/sales/{sale['sale_id']}/void"
    r = till.post(url, {"reason": "x", "approval": creds(world.manager, "nope")}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "approval_invalid"
    owner = staff(world, Role.OWNER)
    r = till.post(url, {"reason": "x", "approval": creds(owner)}, format="json")
    assert r.status_code == 200 and r.json()["void_approved_by"] == owner.user.username


def test_approval_passwords_go_through_the_login_throttle(world, settings):
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    url = f"/api/v1/pos/sales/{sale['sale_id']}/void"
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        r = till.post(url, {"reason": "x", "approval": creds(world.manager, "bad")}, format="json")
        assert r.status_code in (403, 429)
    r = till.post(url, {"reason": "x", "approval": creds(world.manager)}, format="json")
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
    assert int(r["Retry-After"]) >= 1
    assert Sale.objects.get(pk=sale["sale_id"]).status == "COMPLETED"


def test_managers_and_owners_void_without_approval_and_the_setting_frees_cashiers(world):
    _, till = open_till(world)
    first, second = (sell(till, world=world).json() for _ in range(2))
    owner = staff(world, Role.OWNER)
    r = client(bearer(owner)).post(f"/api/v1/pos/sales/{first['sale_id']}/void")
    assert r.status_code == 200 and r.json()["void_approved_by"] is None
    world.tenant.cashier_void_requires_approval = False
    world.tenant.save()
    r = till.post(f"/api/v1/pos/sales/{second['sale_id']}/void", {"reason": "ok"}, format="json")
    assert r.status_code == 200 and r.json()["void_approved_by"] is None


def test_viewer_and_back_office_cashier_still_cannot_void(world):
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    url = f"/api/v1/pos/sales/{sale['sale_id']}/void"
    body = {"reason": "x", "approval": creds(world.manager)}
    assert client(bearer(world.cashier)).post(url, body, format="json").status_code == 403
    viewer = staff(world, Role.VIEWER)
    assert client(bearer(viewer)).post(url, body, format="json").status_code == 403


# ---------------------------------------------------------------------- approval tokens


def test_approval_token_is_single_use_and_stored_hashed(world):
    _, till = open_till(world)
    first, second = (sell(till, world=world).json() for _ in range(2))
    r = client(bearer(world.manager)).post(
        "/api/v1/pos/approvals",
        {"reason": "Customer complaint"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    body = r.json()
    token = body["token"]
    assert body["issued_by"] == world.manager.user.username and body["location_id"] is None
    row = ApprovalToken.objects.get(pk=body["approval_id"])
    valid_for = row.expires_at - row.created_at
    assert timedelta(minutes=4, seconds=59) < valid_for <= timedelta(minutes=5, seconds=1)
    assert row.token_hash != token and token not in row.token_hash
    assert all(token not in str(rec.response_body) for rec in IdempotencyRecord.objects.all())
    r = till.post(
        f"/api/v1/pos/sales/{first['sale_id']}/void", {"approval_token": token}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["void_reason"] == "Customer complaint"  # the token's reason
    assert r.json()["void_approved_by"] == world.manager.user.username
    r = till.post(
        f"/api/v1/pos/sales/{second['sale_id']}/void",
        {"approval_token": token, "reason": "again"},
        format="json",
    )
    assert r.status_code == 403 and r.json()["code"] == "approval_invalid"
    assert Sale.objects.get(pk=second["sale_id"]).status == "COMPLETED"


def test_a_replayed_issue_answers_a_new_token_and_spends_the_first(world):
    manager = client(bearer(world.manager))
    first = manager.post("/api/v1/pos/approvals", {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = manager.post("/api/v1/pos/approvals", {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["token"] != first.json()["token"]
    assert ApprovalToken.objects.get(pk=first.json()["approval_id"]).used_for == "reissued"
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    url = f"/api/v1/pos/sales/{sale['sale_id']}/void"
    body = {"reason": "x", "approval_token": first.json()["token"]}
    assert till.post(url, body, format="json").json()["code"] == "approval_invalid"
    body["approval_token"] = again.json()["token"]
    assert till.post(url, body, format="json").status_code == 200


def test_expired_foreign_or_other_store_tokens_are_refused(world):
    _, till = open_till(world)
    sale = sell(till, world=world).json()
    url = f"/api/v1/pos/sales/{sale['sale_id']}/void"
    expired = issue(world.manager)
    ApprovalToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elsewhere = LocationFactory(tenant=world.tenant)
    other_store = issue(world.manager, location_id=elsewhere.pk)
    other = build_world(n_variants=0)
    foreign = issue(other.manager)
    for token in (expired, other_store, foreign, "ap_1_made-up"):
        r = till.post(url, {"reason": "x", "approval_token": token}, format="json")
        assert r.status_code == 403 and r.json()["code"] == "approval_invalid", token
    assert Sale.objects.get(pk=sale["sale_id"]).status == "COMPLETED"
    assert (
        till.post(
            url, {"approval": creds(world.manager), "approval_token": "x"}, format="json"
        ).status_code
        == 400
    )


def test_only_managers_and_owners_issue_approval_tokens(world):
    for role in (Role.CASHIER, Role.VIEWER):
        r = client(bearer(staff(world, role))).post("/api/v1/pos/approvals", {}, format="json")
        assert r.status_code == 403
    _, till = open_till(world)
    assert till.post("/api/v1/pos/approvals", {}, format="json").status_code == 403
    owner = staff(world, Role.OWNER)
    assert client(bearer(owner)).post("/api/v1/pos/approvals", {}, format="json").status_code == 201
    elsewhere = LocationFactory(tenant=world.tenant)
    limited = staff(world, Role.MANAGER, locations=[world.store])
    r = client(bearer(limited)).post(
        "/api/v1/pos/approvals", {"location_id": elsewhere.pk}, format="json"
    )
    assert r.status_code == 403
    other = build_world(n_variants=0)
    r = client(bearer(world.manager)).post(
        "/api/v1/pos/approvals", {"location_id": other.store.pk}, format="json"
    )
    assert r.status_code == 404
    assert ApprovalToken.objects.count() == 1


# --------------------------------------------------------------------------- discounts


def test_cashier_discounts_above_the_limit_need_approval(world):
    world.tenant.max_cashier_discount_percent = D("10")
    world.tenant.save()
    _, till = open_till(world)
    a, b, _ = world.variants
    assert (
        sell(till, [{"variant_id": a.pk, "qty": "1", "discount_percent": "10"}]).status_code == 201
    )
    cases = [
        {"lines": [{"variant_id": a.pk, "qty": "1", "discount_percent": "15"}]},
        {"lines": [{"variant_id": a.pk, "qty": "1", "discount_amount": "2.00"}]},
        {"lines": [{"variant_id": a.pk, "qty": "1"}], "order_discount_percent": "12"},
        {  # 6 % then 5 % off what is left: 10.7 % of the price
            "lines": [{"variant_id": a.pk, "qty": "1", "discount_percent": "6"}],
            "order_discount_percent": "5",
        },
    ]
    before = Sale.objects.count()
    for case in cases:
        r = sell(till, case.pop("lines"), **case)
        assert r.status_code == 403 and r.json()["code"] == "approval_required", case
        assert r.json()["details"]["lines"] == [0]
    assert Sale.objects.count() == before
    two = [
        {"variant_id": a.pk, "qty": "1", "discount_percent": "50"},
        {"variant_id": b.pk, "qty": "1"},
    ]
    r = sell(till, two)
    assert r.status_code == 403 and r.json()["details"]["lines"] == [0]
    r = sell(till, two, approval=creds(world.manager))
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    r = sell(till, two, approval=creds(world.manager), discount_reason="Damaged box")
    assert r.status_code == 201, r.json()
    first, second = r.json()["lines"]
    assert first["discount_approved_by"] == world.manager.user.username
    assert first["discount_reason"] == "Damaged box"
    assert second["discount_approved_by"] is None and second["discount_reason"] == ""
    sale_id = r.json()["sale_id"]
    detail = till.get(f"/api/v1/pos/sales/{sale_id}").json()
    assert detail["lines"][0]["discount_approved_by"] == world.manager.user.username
    assert detail["lines"][0]["discount_approved_by_id"] == world.manager.user_id
    rows = StockLedger.objects.filter(ref_type="SALE", ref_id=str(sale_id)).order_by("pk")
    assert [row.note for row in rows] == [
        f"Discount approved by {world.manager.user.username}: Damaged box",
        "",
    ]


def test_default_limit_zero_means_any_cashier_discount_needs_approval(world):
    session_id, till = open_till(world)
    line = [{"variant_id": world.variants[0].pk, "qty": "1", "discount_amount": "0.01"}]
    r = sell(till, line)
    assert r.status_code == 403 and r.json()["code"] == "approval_required"
    token = issue(world.manager, reason="Loyal customer")
    r = sell(till, line, approval_token=token)
    assert r.status_code == 201, r.json()
    assert r.json()["lines"][0]["discount_reason"] == "Loyal customer"
    z = till.get(f"/api/v1/pos/sessions/{session_id}").json()
    assert [(a["kind"], a["amount"], a["reason"]) for a in z["approvals"]] == [
        ("DISCOUNT", "0.01", "Loyal customer")
    ]
    assert sell(till, line, approval_token=token).json()["code"] == "approval_invalid"


def test_managers_and_integrations_discount_without_approval(world):
    body = [{"variant_id": world.variants[0].pk, "qty": "1", "discount_percent": "50"}]
    _, till = open_till(world, world.manager)
    assert sell(till, body).status_code == 201
    r = client(bearer(world.manager)).post(
        "/api/v1/pos/checkout",
        {"location_id": world.store.pk, "lines": body, "order_discount_percent": "20"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert SaleLine.objects.filter(discount_approved_by__isnull=False).count() == 0


def test_a_refused_sale_does_not_spend_the_token(world):
    _, till = open_till(world)
    token = issue(world.manager)
    line = [{"variant_id": world.variants[0].pk, "qty": "1000", "discount_percent": "5"}]
    cash = [{"method": "CASH", "amount": "9500.00"}]
    r = sell(till, line, approval_token=token, discount_reason="x", tenders=cash)
    assert r.status_code == 409 and r.json()["code"] == "insufficient_stock"
    assert ApprovalToken.objects.get().used_at is None
    line[0]["qty"] = "1"
    assert sell(till, line, approval_token=token, discount_reason="x").status_code == 201


# ----------------------------------------------------------------------------- returns


def test_cashier_return_without_receipt_needs_approval(world):
    session_id, till = open_till(world)
    body = {"lines": [{"variant_id": world.variants[0].pk, "qty": "1", "unit_price": "10.00"}]}
    r = till.post("/api/v1/pos/returns", body, format="json")
    assert r.status_code == 403 and r.json()["code"] == "approval_required"
    assert r.json()["details"]["because"] == ["no_receipt"]
    r = till.post(
        "/api/v1/pos/returns",
        {**body, "reason": "Gift, no receipt", "approval": creds(world.manager)},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["approved_by"] == world.manager.user.username
    assert r.json()["reason"] == "Gift, no receipt"
    r = till.post(f"/api/v1/pos/returns/{r.json()['return_id']}/finalize")
    assert r.status_code == 200 and r.json()["status"] == "FINALIZED"
    note = StockLedger.objects.get(ref_type="RETURN").note
    assert note == f"Return: Gift, no receipt; approved by {world.manager.user.username}"
    z = till.get(f"/api/v1/pos/sessions/{session_id}").json()
    assert [a["kind"] for a in z["approvals"]] == ["RETURN"]


def test_cashier_refund_above_the_limit_needs_approval(world):
    world.tenant.cashier_refund_limit = D("15.00")
    world.tenant.save()
    _, till = open_till(world)
    sale = sell(till, [{"variant_id": world.variants[0].pk, "qty": "3"}]).json()
    line_id = sale["lines"][0]["sale_line_id"]

    def ret(qty, **extra):
        return till.post(
            "/api/v1/pos/returns",
            {"sale_id": sale["sale_id"], "lines": [{"sale_line_id": line_id, "qty": qty}], **extra},
            format="json",
        )

    small = ret("1")
    assert small.status_code == 201 and small.json()["approved_by"] is None
    r = ret("2")
    assert r.status_code == 403 and r.json()["code"] == "approval_required"
    assert r.json()["details"]["because"] == ["refund_over_limit"]
    assert r.json()["details"]["refund_total"] == "20.00"
    r = ret("2", approval_token=issue(world.manager), reason="Faulty")
    assert r.status_code == 201 and r.json()["approved_by"] == world.manager.user.username
    assert Return.objects.count() == 2


def test_finalizing_an_unapproved_refund_above_the_limit_needs_approval(world):
    _, till = open_till(world)
    sale = sell(till, [{"variant_id": world.variants[0].pk, "qty": "3"}]).json()
    line_id = sale["lines"][0]["sale_line_id"]
    draft = till.post(
        "/api/v1/pos/returns",
        {"sale_id": sale["sale_id"], "lines": [{"sale_line_id": line_id, "qty": "3"}]},
        format="json",
    ).json()
    world.tenant.cashier_refund_limit = D("5.00")  # lowered after the draft
    world.tenant.save()
    url = f"/api/v1/pos/returns/{draft['return_id']}/finalize"
    r = till.post(url)
    assert r.status_code == 403 and r.json()["code"] == "approval_required"
    assert Return.objects.get().status == "DRAFT"
    r = till.post(url, {"approval": creds(world.manager)}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    token = issue(world.manager, reason="Manager OK")
    r = till.post(url, {"approval_token": token}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["approved_by"] == world.manager.user.username
    assert r.json()["reason"] == "Manager OK"
    manager_draft = client(bearer(world.manager))
    assert manager_draft.get(f"/api/v1/pos/returns/{draft['return_id']}").status_code == 200


def test_manager_returns_need_no_approval(world):
    world.tenant.cashier_refund_limit = D("1.00")
    world.tenant.save()
    _, till = open_till(world, world.manager)
    sale = sell(till, [{"variant_id": world.variants[0].pk, "qty": "2"}]).json()
    r = till.post(
        "/api/v1/pos/returns",
        {
            "sale_id": sale["sale_id"],
            "lines": [{"sale_line_id": sale["lines"][0]["sale_line_id"], "qty": "2"}],
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["approved_by"] is None
    assert till.post(f"/api/v1/pos/returns/{r.json()['return_id']}/finalize").status_code == 200
