"""The till's views through Django's test client: rules, bad input, query counts (SPEC §11)."""

from decimal import Decimal

import pytest

from storekeep.core.models import IdempotencyRecord
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.pos.models import RegisterSession, Return, Sale
from storekeep.pos.services import register_session_close, register_session_open
from storekeep.tenants.models import Role

from .till_shop import build_shop, signed_in_client

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop(tenant):
    return build_shop(tenant)


@pytest.fixture
def cashier(make_member, shop):
    return make_member(role=Role.CASHIER, tenant=shop.tenant, locations=[shop.store])


@pytest.fixture
def till(cashier, shop):
    """A cashier's client with the till open (float 100.00)."""
    client = signed_in_client(cashier)
    response = client.post("/till/open/", {"register": shop.register.pk, "opening_float": "100"})
    assert response.status_code == 302
    client.membership = cashier
    return client


def scan(client, code):
    return client.post("/till/cart/scan/", {"code": code}, **HTMX)


def cart_lines(client):
    return client.session["storekeep_till_cart"]["lines"]


def pay(client, **tenders):
    cart = client.session["storekeep_till_cart"]
    data = {"key": cart["key"], "version": str(cart["version"]), **tenders}
    return client.post("/till/pay/", data)


# ------------------------------------------------------------------------- access


def test_viewer_has_no_till(make_member, shop):
    viewer = make_member(role=Role.VIEWER, tenant=shop.tenant)
    assert signed_in_client(viewer).get("/till/").status_code == 403


def test_anonymous_is_sent_to_sign_in():
    from django.test import Client

    response = Client().get("/till/")
    assert response.status_code == 302
    assert response["Location"] == "/?next=%2Ftill%2F"


def test_cashier_sees_only_registers_of_their_stores(make_member, shop):
    from storekeep.pos.models import Register
    from storekeep.testing import factories

    other_store = factories.LocationFactory(tenant=shop.tenant, code="MALL", name="Mall")
    Register.objects.create(tenant=shop.tenant, location=other_store, code="T9", name="Mall till")
    cashier = make_member(role=Role.CASHIER, tenant=shop.tenant, locations=[shop.store])
    client = signed_in_client(cashier)
    page = client.get("/till/").content.decode()
    assert "Till 1" in page and "Mall till" not in page
    foreign = Register.objects.get(code="T9")
    response = client.post("/till/open/", {"register": foreign.pk, "opening_float": "0"})
    assert response.status_code == 400
    assert not RegisterSession.objects.filter(register=foreign).exists()


def test_another_tenants_register_and_sale_are_not_found(till, shop, other_tenant):
    other = build_shop(other_tenant)
    response = till.post("/till/open/", {"register": other.register.pk, "opening_float": "0"})
    assert response.status_code in (302, 400)
    assert not RegisterSession.objects.filter(register=other.register).exists()
    owner_session, _ = register_session_open(
        membership=_owner(other_tenant), register=other.register, opening_float=Decimal(0)
    )
    from storekeep.pos.services import CartLine, Tender, checkout

    sale = checkout(
        tenant=other_tenant,
        lines=[CartLine(qty=Decimal(1), variant_id=other.mug.pk)],
        tenders=[Tender("CASH", Decimal("8.50"))],
        register_session=owner_session,
    ).sale
    response = till.get(f"/till/sales/{sale.pk}/")
    assert response.status_code == 302
    assert sale.receipt_number not in till.get("/till/sales/").content.decode()
    response = till.get("/till/sales/find/", {"receipt": sale.receipt_number})
    assert response.status_code == 302 and response["Location"] == "/till/sales/"
    # another tenant's variant id cannot be added
    response = till.post("/till/cart/add/", {"variant_id": other.mug.pk}, **HTMX)
    assert "storekeep_till_cart" not in till.session or not cart_lines(till)


def _owner(tenant):
    from storekeep.testing import factories

    return factories.MembershipFactory(tenant=tenant, role=Role.OWNER)


def test_csrf_is_enforced_on_till_forms(cashier, shop):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cashier.user)
    response = client.post("/till/open/", {"register": shop.register.pk, "opening_float": "5"})
    assert response.status_code == 403
    assert not RegisterSession.objects.exists()


# ------------------------------------------------------------------------- opening


def test_open_resumes_an_open_session(till, shop, cashier):
    session = RegisterSession.objects.get(register=shop.register)
    assert session.opening_float == Decimal("100.00")
    fresh = signed_in_client(cashier)
    page = fresh.get("/till/").content.decode()
    assert "Barcode or SKU" in page  # resumed: the sale screen, not the open form


def test_opening_float_must_be_an_amount(cashier, shop):
    client = signed_in_client(cashier)
    response = client.post("/till/open/", {"register": shop.register.pk, "opening_float": "lots"})
    assert response.status_code == 400
    assert "is not an amount" in response.content.decode()
    assert not RegisterSession.objects.exists()


# ------------------------------------------------------------------------- the cart


def test_scan_barcode_or_sku_adds_and_repeats_increase_qty(till, shop):
    response = scan(till, shop.mug.barcode)
    html = response.content.decode()
    assert "Red enamel mug" in html and "£8.50" in html
    scan(till, "mug-red".upper())
    assert cart_lines(till) == [
        {
            "id": 1,
            "variant_id": shop.mug.pk,
            "qty": "2",
            "discount_percent": None,
            "discount_amount": None,
        }
    ]


def test_unknown_barcode_says_so_and_changes_nothing(till, shop):
    scan(till, shop.mug.barcode)
    version = till.session["storekeep_till_cart"]["version"]
    html = scan(till, "0000").content.decode()
    assert "No product has the barcode or SKU “0000”" in html
    assert till.session["storekeep_till_cart"]["version"] == version


@pytest.mark.parametrize(
    "qty, message",
    [
        ("0", "must be more than 0"),
        ("two", "is not a quantity"),
        ("-1", "must be more than 0"),
        ("1e9", "too large"),
    ],
)
def test_bad_quantity_is_refused_with_a_message(till, shop, qty, message):
    scan(till, shop.mug.barcode)
    html = till.post("/till/cart/lines/1/", {"action": "set", "qty": qty}, **HTMX).content.decode()
    assert message in html
    assert cart_lines(till)[0]["qty"] == "1"


def test_plus_minus_edit_remove(till, shop):
    scan(till, shop.mug.barcode)
    till.post("/till/cart/lines/1/", {"action": "inc"}, **HTMX)
    till.post("/till/cart/lines/1/", {"action": "inc"}, **HTMX)
    till.post("/till/cart/lines/1/", {"action": "dec"}, **HTMX)
    assert cart_lines(till)[0]["qty"] == "2"
    till.post("/till/cart/lines/1/", {"action": "set", "qty": "5"}, **HTMX)
    assert cart_lines(till)[0]["qty"] == "5"
    html = till.post("/till/cart/lines/1/", {"action": "remove"}, **HTMX).content.decode()
    assert cart_lines(till) == [] and "The cart is empty." in html
    html = till.post("/till/cart/lines/1/", {"action": "inc"}, **HTMX).content.decode()
    assert "not in the cart any more" in html


def test_line_and_order_discounts_use_compute_receipt(till, shop):
    scan(till, shop.frame.barcode)  # 24.00 incl. 20 % VAT
    till.post("/till/cart/lines/1/", {"action": "discount", "discount": "10%"}, **HTMX)
    html = till.post("/till/cart/discount/", {"discount": "1.60"}, **HTMX).content.decode()
    # 24.00 − 2.40 − 1.60 = 20.00; VAT included 20.00 / 6 = 3.33
    assert "£20.00" in html and "£3.33" in html
    html = till.post("/till/cart/discount/", {"discount": "500%"}, **HTMX).content.decode()
    assert "A percentage discount is between 0% and 100%." in html
    html = till.post("/till/cart/discount/", {"discount": "30.00"}, **HTMX).content.decode()
    assert "That discount is not possible" in html
    assert till.session["storekeep_till_cart"]["order_discount_amount"] == "1.60"


def test_search_finds_products_by_name(till, shop):
    html = till.get("/till/search/", {"q": "earl"}, **HTMX).content.decode()
    assert "Earl Grey tea 250g" in html and "Red enamel mug" not in html
    assert "No product matches" in till.get("/till/search/", {"q": "zzz"}).content.decode()


# ------------------------------------------------------------------------- paying


def test_cash_payment_with_change_makes_one_sale_and_shows_the_receipt(till, shop):
    scan(till, shop.mug.barcode)
    scan(till, shop.tea.barcode)
    response = pay(till, cash="20")
    sale = Sale.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/till/sales/{sale.pk}/?paid=1"
    assert sale.total == Decimal("12.70") and sale.change_due == Decimal("7.30")
    html = till.get(response["Location"]).content.decode()
    for text in (
        sale.receipt_number,
        "High Street",
        "Red enamel mug",
        "Earl Grey tea 250g",
        "Change due £7.30",
        "20%",
        "0%",
        "£1.42",  # VAT in 8.50 at 20 %
        "£7.08",  # its net
    ):
        assert text in html, text
    assert "storekeep_till_cart" not in till.session


def test_double_submitted_pay_is_one_sale(till, shop):
    scan(till, shop.mug.barcode)
    cart = till.session["storekeep_till_cart"]
    data = {"key": cart["key"], "version": str(cart["version"]), "cash": "10"}
    first = till.post("/till/pay/", data)
    second = till.post("/till/pay/", data)
    assert Sale.objects.count() == 1
    assert second.status_code == 302
    assert second["Location"] == f"/till/sales/{Sale.objects.get().pk}/"
    assert first["Location"].startswith(second["Location"])
    assert IdempotencyRecord.objects.filter(key=f"till-sale:{cart['key']}").count() == 1


def test_split_tenders(till, shop):
    scan(till, shop.frame.barcode)
    pay(till, card="20", cash="5")
    sale = Sale.objects.get()
    assert sorted((p.method, p.amount) for p in sale.payments.all()) == [
        ("CARD", Decimal("20.00")),
        ("CASH", Decimal("4.00")),
    ]
    assert sale.change_due == Decimal("1.00")


def test_short_tender_and_bad_amounts_sell_nothing(till, shop):
    scan(till, shop.frame.barcode)
    response = pay(till, cash="10")
    assert response.status_code == 422
    assert "The payment is short: 10.00 tendered for a total of 24.00" in response.content.decode()
    response = pay(till, cash="ten")
    assert response.status_code == 400 and "is not an amount" in response.content.decode()
    response = pay(till, card="30")
    assert "only cash gives change" in response.content.decode()
    assert pay(till).status_code == 400
    assert not Sale.objects.exists()


def test_short_stock_names_the_short_lines_and_sells_nothing(till, shop):
    scan(till, shop.mug.barcode)
    scan(till, shop.tea.barcode)
    till.post("/till/cart/lines/2/", {"action": "set", "qty": "60"}, **HTMX)
    response = pay(till, cash="500")
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not enough stock" in html and "Earl Grey tea 250g" in html and ">50<" in html
    assert not Sale.objects.exists()
    assert InventoryItem.objects.get(variant=shop.tea).on_hand == Decimal(50)


def test_paying_a_stale_page_after_the_cart_changed_in_another_tab_is_refused(till, shop):
    scan(till, shop.mug.barcode)
    cart = till.session["storekeep_till_cart"]
    stale = {"key": cart["key"], "version": str(cart["version"]), "cash": "100"}
    scan(till, shop.frame.barcode)  # the other tab
    response = till.post("/till/pay/", stale)
    assert response.status_code == 409
    assert "The cart changed in another window" in response.content.decode()
    assert not Sale.objects.exists()


def test_session_closed_elsewhere_sends_back_and_changes_nothing(till, shop, cashier):
    scan(till, shop.mug.barcode)
    cart = till.session["storekeep_till_cart"]
    stale_pay = {"key": cart["key"], "version": str(cart["version"]), "cash": "10"}
    session = RegisterSession.objects.get()
    register_session_close(session=session, counted_cash=Decimal(100), actor=cashier.user)
    response = scan(till, shop.tea.barcode)
    assert response.status_code == 204 and response["HX-Redirect"] == "/till/"
    page = till.get("/till/", follow=True).content.decode()
    assert "was closed by" in page and "Open the till" in page
    assert till.post("/till/pay/", stale_pay).status_code == 302
    assert not Sale.objects.exists()


# ------------------------------------------------------------------------- after the sale


def _sell(till, shop, *codes, cash="100"):
    for code in codes:
        scan(till, code)
    pay(till, cash=cash)
    return Sale.objects.order_by("-pk").first()


def test_void_asks_a_reason_and_restores_stock(till, shop, make_member):
    manager = make_member(role=Role.MANAGER, tenant=shop.tenant, username="boss")
    sale = _sell(till, shop, shop.mug.barcode)
    page = till.get(f"/till/sales/{sale.pk}/void/").content.decode()
    assert "Manager username" in page and "Manager password" in page
    response = till.post(f"/till/sales/{sale.pk}/void/", {"reason": ""})
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    response = till.post(f"/till/sales/{sale.pk}/void/", {"reason": "customer changed mind"})
    assert response.status_code == 403 and "A manager must approve" in response.content.decode()
    wrong = {"reason": "customer changed mind", "manager_username": "boss"}
    response = till.post(f"/till/sales/{sale.pk}/void/", {**wrong, "manager_password": "no"})
    html = response.content.decode()
    assert response.status_code == 403 and "username or password is wrong" in html
    assert 'value="boss"' in html and "Manager password" in html
    sale.refresh_from_db()
    assert sale.status == Sale.Status.COMPLETED
    response = till.post(f"/till/sales/{sale.pk}/void/", {**wrong, "manager_password": "pass"})
    assert response.status_code == 302
    sale.refresh_from_db()
    assert sale.void_approved_by_id == manager.user_id
    sale.refresh_from_db()
    assert sale.status == Sale.Status.VOIDED
    assert sale.void_reason == "customer changed mind"
    assert InventoryItem.objects.get(variant=shop.mug).on_hand == Decimal(50)
    void_row = StockLedger.objects.get(ref_type="VOID", ref_id=str(sale.pk))
    assert void_row.note.startswith("Void: customer changed mind")
    assert "customer changed mind" in till.get(f"/till/sales/{sale.pk}/").content.decode()


def test_return_shows_the_refund_before_confirming(till, shop):
    sale = _sell(till, shop, shop.mug.barcode, shop.mug.barcode, shop.tea.barcode)
    response = till.get("/till/sales/find/", {"receipt": sale.receipt_number, "for": "return"})
    assert response["Location"] == f"/till/sales/{sale.pk}/return/"
    mug_line = sale.lines.get(variant=shop.mug)
    response = till.post(
        f"/till/sales/{sale.pk}/return/",
        {f"qty-{mug_line.pk}": "3", "refund_method": "CASH"},
    )
    assert response.status_code == 400 and "at most 2 can be returned" in response.content.decode()
    response = till.post(
        f"/till/sales/{sale.pk}/return/",
        {
            f"qty-{mug_line.pk}": "1",
            f"disposition-{mug_line.pk}": "RESTOCK",
            "refund_method": "CASH",
        },
    )
    ret = Return.objects.get()
    assert ret.status == Return.Status.DRAFT
    html = till.get(response["Location"]).content.decode()
    assert "Confirm return and refund £8.50" in html
    till.post(f"/till/returns/{ret.pk}/")
    ret.refresh_from_db()
    assert ret.status == Return.Status.FINALIZED
    assert InventoryItem.objects.get(variant=shop.mug).on_hand == Decimal(49)


def test_close_till_with_counted_cash_shows_the_z_report(till, shop):
    _sell(till, shop, shop.mug.barcode, cash="10")
    assert till.post("/till/close/", {"counted_cash": "abc"}).status_code == 400
    response = till.post("/till/close/", {"counted_cash": "108.00"})
    session = RegisterSession.objects.get()
    assert response["Location"] == f"/till/sessions/{session.pk}/"
    html = till.get(response["Location"]).content.decode()
    assert "Expected cash" in html and "£108.50" in html and "−£0.50" in html
    assert session.status == RegisterSession.Status.CLOSED


# ------------------------------------------------------------------------- queries


@pytest.mark.parametrize("lines", [1, 30])
def test_a_scan_costs_the_same_queries_whatever_the_cart_size(
    tenant, make_member, django_assert_num_queries, lines
):
    shop = build_shop(tenant, extra_variants=30)
    cashier = make_member(role=Role.CASHIER, tenant=tenant, locations=[shop.store])
    client = signed_in_client(cashier)
    client.post("/till/open/", {"register": shop.register.pk, "opening_float": "0"})
    for variant in shop.variants[3 : 3 + lines - 1]:
        scan(client, variant.barcode)
    with django_assert_num_queries(SCAN_QUERIES):
        response = scan(client, shop.mug.barcode)
    assert response.content.decode().count("data-line=") == lines
    with django_assert_num_queries(LINE_QUERIES):
        client.post("/till/cart/lines/1/", {"action": "inc"}, **HTMX)


# session, user, membership, register session, member's stores, variant by code, quote (variants
# with product and tax category), session save (savepoint, update, release)
SCAN_QUERIES = 10
# the same without the variant look-up by code
LINE_QUERIES = 9


def test_a_discount_above_the_limit_asks_a_manager_at_pay(till, shop, make_member):
    make_member(role=Role.MANAGER, tenant=shop.tenant, username="boss")
    scan(till, shop.frame.barcode)
    till.post("/till/cart/lines/1/", {"action": "discount", "discount": "50%"}, **HTMX)
    response = pay(till, cash="20")
    html = response.content.decode()
    assert response.status_code == 403 and "Manager username" in html
    assert "Reason for the discount" in html and not Sale.objects.exists()
    response = pay(till, cash="20", manager_username="boss", manager_password="pass")
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    response = pay(
        till,
        cash="20",
        manager_username="boss",
        manager_password="pass",
        approval_reason="Last one",
    )
    assert response.status_code == 302
    line = Sale.objects.get().lines.get()
    assert line.discount_reason == "Last one" and line.discount_approved_by.username == "boss"


def test_a_discount_within_the_limit_needs_no_manager(till, shop):
    scan(till, shop.frame.barcode)
    till.post("/till/cart/lines/1/", {"action": "discount", "discount": "10%"}, **HTMX)
    assert pay(till, cash="30").status_code == 302
    assert Sale.objects.get().lines.get().discount_approved_by is None


def test_a_refund_above_the_limit_asks_a_manager_when_confirmed(till, shop, make_member):
    make_member(role=Role.MANAGER, tenant=shop.tenant, username="boss")
    shop.tenant.cashier_refund_limit = Decimal("5.00")
    shop.tenant.save()
    sale = _sell(till, shop, shop.frame.barcode, cash="30")
    line = sale.lines.get()
    response = till.post(
        f"/till/sales/{sale.pk}/return/", {f"qty-{line.pk}": "1", "refund_method": "CASH"}
    )
    html = response.content.decode()
    assert response.status_code == 403 and "Manager username" in html
    response = till.post(
        f"/till/sales/{sale.pk}/return/",
        {
            f"qty-{line.pk}": "1",
            "refund_method": "CASH",
            "reason": "Broken glass",
            "manager_username": "boss",
            "manager_password": "pass",
        },
    )
    assert response.status_code == 302
    ret = Return.objects.get()
    assert ret.approved_by.username == "boss" and ret.reason == "Broken glass"
    assert "Approved by boss" in till.get(response["Location"]).content.decode()
    till.post(response["Location"])
    ret.refresh_from_db()
    assert ret.status == Return.Status.FINALIZED


def test_paid_in_and_paid_out_at_the_till_count_in_the_expected_cash(till, shop):
    page = till.get("/till/cash/").content.decode()
    assert "Paid in" in page and "Paid out" in page
    response = till.post("/till/cash/", {"direction": "OUT", "amount": "abc", "reason": "Milk"})
    assert response.status_code == 400
    response = till.post("/till/cash/", {"direction": "OUT", "amount": "2.50", "reason": ""})
    assert response.status_code == 400 and "Give the reason" in response.content.decode()
    response = till.post("/till/cash/", {"direction": "SIDEWAYS", "amount": "1", "reason": "x"})
    assert response.status_code == 400
    assert (
        till.post("/till/cash/", {"direction": "OUT", "amount": "2.50", "reason": "Milk"})[
            "Location"
        ]
        == "/till/cash/"
    )
    till.post("/till/cash/", {"direction": "IN", "amount": "20", "reason": "Change"})
    html = till.get("/till/cash/").content.decode()
    assert "Milk" in html and "Change" in html
    response = till.post("/till/close/", {"counted_cash": "117.50"})
    html = till.get(response["Location"]).content.decode()
    assert "Paid in" in html and "£20.00" in html and "£117.50" in html
    assert RegisterSession.objects.get().variance == Decimal("0.00")
