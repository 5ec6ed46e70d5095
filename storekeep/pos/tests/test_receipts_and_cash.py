"""Receipts with names and tax per rate, the Z report per rate and per cashier, cash paid
in / paid out (issue 12 item 6)."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from storekeep.inventory.models import StockLedger
from storekeep.pos.models import CashMovement
from storekeep.tenants.models import Role

from .factories import (
    LocationFactory,
    ProductFactory,
    TaxCategoryFactory,
    VariantFactory,
    bearer,
    build_world,
    member,
    stock,
)

pytestmark = pytest.mark.django_db


def client(auth=None):
    c = APIClient()
    if auth:
        c.credentials(HTTP_AUTHORIZATION=auth)
    return c


@pytest.fixture
def shop(world):
    """The world plus a zero-rated variant (children's clothing), 8.00 a piece."""
    zero = TaxCategoryFactory(tenant=world.tenant, rate=D("0"))
    product = ProductFactory(tenant=world.tenant, tax_category=zero, name="Kids socks")
    socks = VariantFactory(tenant=world.tenant, product=product, name="Age 3-4", price=D("8.00"))
    stock(world.tenant, world.store, socks, "50", unit_cost=D("2.00"))
    world.socks = socks
    return world


def open_till(world, membership=None, opening_float="100.00"):
    r = client(bearer(membership or world.cashier)).post(
        f"/api/v1/pos/registers/{world.register.pk}/sessions",
        {"opening_float": opening_float},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()["session_id"], client(f"Register {r.json()['token']}")


def sell(till, lines, method="CASH", amount="100.00"):
    r = till.post(
        "/api/v1/pos/checkout",
        {"lines": lines, "tenders": [{"method": method, "amount": amount}]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    return r.json()


def test_receipt_lines_carry_names_and_sku_and_a_tax_summary_per_rate(shop):
    _, till = open_till(shop)
    taxed = shop.variants[0]
    lines = [{"variant_id": taxed.pk, "qty": "2"}, {"variant_id": shop.socks.pk, "qty": "1"}]
    quote = till.post("/api/v1/pos/quote", {"lines": lines}, format="json").json()
    sale = sell(till, lines)
    for body in (quote, sale):
        first, second = body["lines"]
        assert first["product_name"] == taxed.product.name
        assert first["variant_name"] == taxed.name and first["sku"] == taxed.sku
        assert second["product_name"] == "Kids socks" and second["variant_name"] == "Age 3-4"
        assert second["sku"] == shop.socks.sku
        # Prices include 20 % VAT: 20.00 → net 16.67, tax 3.33; zero-rated 8.00.
        assert body["tax_summary"] == [
            {"rate": "0.0000", "net": "8.00", "tax": "0.00", "total": "8.00"},
            {"rate": "20.0000", "net": "16.67", "tax": "3.33", "total": "20.00"},
        ]
        assert sum(D(t["tax"]) for t in body["tax_summary"]) == D(body["tax_total"])
    detail = till.get(f"/api/v1/pos/sales/{sale['sale_id']}").json()
    assert detail["tax_summary"] == sale["tax_summary"]
    assert [ln["product_name"] for ln in detail["lines"]] == [taxed.product.name, "Kids socks"]
    assert detail["void_reason"] == "" and detail["void_approved_by"] is None


def test_tax_summary_with_prices_excluding_tax(db):
    world = build_world(prices_include_tax=False)
    _, till = open_till(world)
    sale = sell(till, [{"variant_id": world.variants[0].pk, "qty": "3"}])
    assert sale["tax_summary"] == [
        {"rate": "20.0000", "net": "30.00", "tax": "6.00", "total": "36.00"}
    ]


def test_z_report_totals_per_tax_rate_and_per_cashier(shop, django_assert_max_num_queries):
    session_id, till = open_till(shop)
    sell(till, [{"variant_id": shop.variants[0].pk, "qty": "1"}])
    sell(till, [{"variant_id": shop.socks.pk, "qty": "2"}], method="CARD", amount="16.00")
    manager = client(bearer(shop.manager))
    r = manager.post(
        "/api/v1/pos/checkout",
        {
            "location_id": shop.store.pk,
            "lines": [{"variant_id": shop.variants[1].pk, "qty": "1"}],
            "tenders": [{"method": "CARD", "amount": "10.00"}],
        },
        format="json",
    )
    assert r.status_code == 201  # not in the session: not in its Z report
    with django_assert_max_num_queries(14):
        z = till.get(f"/api/v1/pos/sessions/{session_id}").json()
    assert z["tax_rates"] == [
        {"rate": "0.0000", "net": "16.00", "tax": "0.00", "total": "16.00"},
        {"rate": "20.0000", "net": "8.33", "tax": "1.67", "total": "10.00"},
    ]
    assert z["cashiers"] == [
        {
            "cashier_id": shop.cashier.user_id,
            "username": shop.cashier.user.username,
            "sales_count": 2,
            "sales_total": "26.00",
            "voids_count": 0,
            "voids_total": "0.00",
            "returns_count": 0,
            "returns_total": "0.00",
        }
    ]


def test_cash_paid_in_and_out_from_the_register_token_counts_in_expected_cash(shop):
    session_id, till = open_till(shop, opening_float="50.00")
    sell(till, [{"variant_id": shop.variants[0].pk, "qty": "1"}], amount="10.00")
    url = f"/api/v1/pos/sessions/{session_id}/cash-movements"
    r = till.post(url, {"amount": "20.00", "direction": "IN", "reason": "Change"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["direction"] == "IN" and r.json()["amount"] == "20.00"
    assert r.json()["created_by"] == shop.cashier.user.username
    r = till.post(
        url, {"amount": "7.50", "direction": "OUT", "reason": "Window cleaner"}, format="json"
    )
    assert r.status_code == 201, r.json()
    listed = till.get(url).json()
    assert listed["count"] == 2
    assert [m["reason"] for m in listed["results"]] == ["Change", "Window cleaner"]
    z = till.get(f"/api/v1/pos/sessions/{session_id}").json()
    assert z["paid_in"] == "20.00" and z["paid_out"] == "7.50"
    assert z["expected_cash"] == "72.50"  # 50 float + 10 cash sale + 20 in − 7.50 out
    assert [m["direction"] for m in z["cash_movements"]] == ["IN", "OUT"]
    closed = till.post(
        f"/api/v1/pos/sessions/{session_id}/close", {"counted_cash": "72.50"}, format="json"
    ).json()
    assert closed["expected_cash"] == "72.50" and closed["variance"] == "0.00"
    r = client(bearer(shop.manager)).post(
        url, {"amount": "1.00", "direction": "IN", "reason": "late"}, format="json"
    )
    assert r.status_code == 409 and r.json()["code"] == "session_closed"
    assert CashMovement.objects.filter(register_session_id=session_id).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0", "direction": "IN", "reason": "x"},
        {"amount": "-5.00", "direction": "IN", "reason": "x"},
        {"amount": "1.005", "direction": "IN", "reason": "x"},
        {"amount": "abc", "direction": "IN", "reason": "x"},
        {"amount": "5.00", "direction": "SIDEWAYS", "reason": "x"},
        {"amount": "5.00", "direction": "OUT", "reason": "  "},
        {"amount": "5.00", "direction": "OUT"},
        {"direction": "OUT", "reason": "x"},
    ],
)
def test_bad_cash_movements_are_400_and_change_nothing(world, body):
    session_id, till = open_till(world)
    r = till.post(f"/api/v1/pos/sessions/{session_id}/cash-movements", body, format="json")
    assert r.status_code == 400, r.json()
    assert set(r.json()) == {"code", "message", "details"}
    assert not CashMovement.objects.exists()


def test_who_may_pay_cash_in_or_out(world):
    session_id, _ = open_till(world)
    url = f"/api/v1/pos/sessions/{session_id}/cash-movements"
    body = {"amount": "5.00", "direction": "OUT", "reason": "Milk"}
    # The cashier who opened it, with a bearer token: the register token is the till's.
    assert client(bearer(world.cashier)).post(url, body, format="json").status_code == 403
    viewer = member(world.tenant, Role.VIEWER)
    assert client(bearer(viewer)).post(url, body, format="json").status_code == 403
    other_cashier = member(world.tenant, Role.CASHIER, locations=[world.store])
    assert client(bearer(other_cashier)).post(url, body, format="json").status_code == 403
    elsewhere = member(world.tenant, Role.MANAGER, locations=[LocationFactory(tenant=world.tenant)])
    assert client(bearer(elsewhere)).post(url, body, format="json").status_code == 403
    owner = member(world.tenant, Role.OWNER)
    for membership in (world.manager, owner):
        r = client(bearer(membership)).post(url, body, format="json")
        assert r.status_code == 201, r.json()
    assert CashMovement.objects.filter(register_session_id=session_id).count() == 2
    # Another session's register token does not reach this session.
    other_register = type(world.register).objects.create(
        tenant=world.tenant, location=world.store, code="T9", name="Till 9"
    )
    r = client(bearer(world.manager)).post(
        f"/api/v1/pos/registers/{other_register.pk}/sessions", {}, format="json"
    )
    other_till = client(f"Register {r.json()['token']}")
    assert other_till.post(url, body, format="json").status_code == 404
    assert other_till.get(url).status_code == 404


def test_cash_movement_list_costs_constant_queries(world, django_assert_max_num_queries):
    session_id, till = open_till(world)
    url = f"/api/v1/pos/sessions/{session_id}/cash-movements"
    for n in range(5):
        till.post(url, {"amount": f"{n + 1}.00", "direction": "IN", "reason": "x"}, format="json")
    with django_assert_max_num_queries(6) as one:
        assert till.get(url, {"page_size": 1}).json()["count"] == 5
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(till.get(url, {"page_size": 5}).json()["results"]) == 5


def test_void_reason_is_stored_and_shown_in_detail_z_report_and_ledger(world):
    session_id, till = open_till(world)
    sale = sell(till, [{"variant_id": world.variants[0].pk, "qty": "1"}])
    manager = client(bearer(world.manager))
    r = manager.post(
        f"/api/v1/pos/sales/{sale['sale_id']}/void", {"reason": "  Rang up twice "}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "VOIDED" and r.json()["void_reason"] == "Rang up twice"
    detail = manager.get(f"/api/v1/pos/sales/{sale['sale_id']}").json()
    assert detail["void_reason"] == "Rang up twice"
    note = StockLedger.objects.get(ref_type="VOID", ref_id=str(sale["sale_id"])).note
    assert note == "Void: Rang up twice"
    z = till.get(f"/api/v1/pos/sessions/{session_id}").json()
    assert z["voids"][0]["reason"] == "Rang up twice"
    assert z["voids"][0]["voided_by"] == world.manager.user.username
    assert z["voids"][0]["approved_by"] is None  # a manager voids without approval
    assert z["cashiers"][0]["voids_count"] == 1


def test_void_without_a_body_still_works_for_a_manager(world):
    _, till = open_till(world)
    sale = sell(till, [{"variant_id": world.variants[0].pk, "qty": "1"}])
    r = client(bearer(world.manager)).post(f"/api/v1/pos/sales/{sale['sale_id']}/void")
    assert r.status_code == 200 and r.json()["void_reason"] == ""
    r = client(bearer(world.manager)).post(
        f"/api/v1/pos/sales/{sale['sale_id']}/void", {"reason": "x" * 256}, format="json"
    )
    assert r.status_code == 400
