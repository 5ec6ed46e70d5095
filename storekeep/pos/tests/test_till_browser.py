"""The till in a real browser (Playwright + Debian chromium), keyboard first (SPEC §11).

Elements are found by label and role, as assistive technology finds them.
"""

import re
from decimal import Decimal

import pytest

from storekeep.inventory.models import InventoryItem
from storekeep.pos.models import RegisterSession, Return, Sale
from storekeep.pos.services import register_session_close
from storekeep.tenants.models import Role
from storekeep.testing.browser import PASSWORD, TABLET

from .till_shop import build_shop


@pytest.fixture
def shop(tenant):
    return build_shop(tenant)


def open_till(page, sign_in, shop, username="sam"):
    member = sign_in(role=Role.CASHIER, locations=[shop.store], username=username)
    page.get_by_role("link", name="Till").first.click()
    page.get_by_label("Opening float").fill("100.00")
    page.get_by_role("button", name="Open till").click()
    page.get_by_label("Barcode or SKU").wait_for()
    return member


def wait_for_cart_update(page, action):
    """Do ``action`` and wait until the cart fragment it asked for has been swapped in."""
    before = page.evaluate("Number(document.body.dataset.updates || 0)")
    action()
    page.wait_for_function("n => Number(document.body.dataset.updates || 0) > n", arg=before)


def scan(page, code):
    field = page.get_by_label("Barcode or SKU")
    field.type(code)
    wait_for_cart_update(page, lambda: field.press("Enter"))


def test_cashier_sells_by_keyboard_pays_cash_and_prints(page, sign_in, shop, screenshot):
    open_till(page, sign_in, shop)
    assert page.evaluate("document.activeElement.id") == "scan"
    scan(page, shop.mug.barcode)
    scan(page, "TEA-EARL")
    assert page.evaluate("document.activeElement.id") == "scan"
    # search by name, arrow down, Enter
    page.keyboard.press("F4")
    page.keyboard.type("oak")
    page.locator("#search-results[data-term='oak']").wait_for()
    page.get_by_role("button", name=re.compile("Oak photo frame A4")).wait_for()
    page.keyboard.press("ArrowDown")
    wait_for_cart_update(page, lambda: page.keyboard.press("Enter"))
    assert page.locator("[data-line]").count() == 3
    assert page.evaluate("document.activeElement.id") == "scan"
    # unknown barcode: a clear message, nothing changes
    scan(page, "999999")
    page.get_by_role("alert").filter(has_text="No product has the barcode or SKU").wait_for()
    assert page.locator("[data-line]").count() == 3
    # + on the mug, quantity 0 refused, discount 10 % on the frame
    wait_for_cart_update(
        page, lambda: page.get_by_role("button", name="One more Red enamel mug").click()
    )
    assert page.get_by_label("Quantity of Red enamel mug").input_value() == "2"
    qty = page.get_by_label("Quantity of Earl Grey tea 250g")
    qty.fill("0")
    wait_for_cart_update(page, lambda: qty.press("Enter"))
    page.get_by_role("alert").filter(has_text="must be more than 0").wait_for()
    assert page.get_by_label("Quantity of Earl Grey tea 250g").input_value() == "1"
    discount = page.get_by_label("Discount on Oak photo frame A4")
    discount.fill("10%")
    wait_for_cart_update(page, lambda: discount.press("Enter"))
    # 2 × 8.50 + 4.20 + 24.00 − 2.40 = 42.80
    assert page.get_by_label("Total to pay").inner_text() == "£42.80"
    screenshot(page, "till-cart")
    page.set_viewport_size(TABLET)
    screenshot(page, "till-cart-tablet")
    page.set_viewport_size({"width": 1024, "height": 768})

    page.keyboard.press("F9")
    page.get_by_label("Cash").fill("50")
    assert page.locator("#change").inner_text() == "£7.20"
    screenshot(page, "till-pay")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_text("Change due £7.20").wait_for()
    sale = Sale.objects.get()
    assert sale.total == Decimal("42.80") and sale.change_due == Decimal("7.20")
    receipt = page.get_by_role("article", name=f"Receipt {sale.receipt_number}")
    for text in (
        "Red enamel mug",
        "Earl Grey tea 250g",
        "Oak photo frame A4",
        "High Street",
        "sam",
    ):
        assert text in receipt.inner_text()
    screenshot(page, "till-receipt")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Print receipt").is_visible()
    screenshot(page, "till-receipt-print", full_page=True)
    page.emulate_media(media="screen")
    # the next sale starts from the receipt page with the keyboard
    page.get_by_role("link", name="New sale").first.click()
    assert page.get_by_text("The cart is empty.").is_visible()


def test_void_return_and_close_with_z_report(page, sign_in, shop, screenshot, make_member):
    open_till(page, sign_in, shop, username="alex")
    scan(page, shop.mug.barcode)
    page.keyboard.press("F9")
    page.get_by_role("button", name=re.compile("^Card")).click()
    page.get_by_text("Change due").wait_for()
    first = Sale.objects.get()
    # void it, with a reason and a manager's approval (asked on the page)
    manager = make_member(role=Role.MANAGER, tenant=shop.tenant, username="morgan")
    page.get_by_role("link", name="Void").click()
    page.get_by_role("button", name="Void").click()
    assert page.get_by_label("Reason for the void").evaluate("el => el.validity.valueMissing")
    page.get_by_label("Reason for the void").fill("Customer changed their mind")
    page.get_by_label("Manager username").fill("morgan")
    page.get_by_label("Manager password").fill("wrong")
    page.get_by_role("button", name="Void").click()
    page.get_by_role("alert").filter(has_text="username or password is wrong").wait_for()
    page.get_by_label("Manager password").fill(PASSWORD)
    page.get_by_role("button", name="Void").click()
    page.get_by_role("status").filter(has_text="is void").wait_for()
    first.refresh_from_db()
    assert first.status == Sale.Status.VOIDED
    assert first.void_approved_by_id == manager.user_id
    assert "approved by morgan" in page.get_by_text("Voided by alex").inner_text()

    # a second sale, then return one of its lines by receipt number
    page.get_by_role("link", name="New sale").first.click()
    scan(page, shop.tea.barcode)
    scan(page, shop.tea.barcode)
    page.keyboard.press("F9")
    page.get_by_role("button", name=re.compile("^Exact cash")).click()
    page.get_by_text("Change due").wait_for()
    second = Sale.objects.get(status=Sale.Status.COMPLETED)
    page.get_by_role("link", name="Return").first.click()
    page.get_by_label("Receipt number").fill(second.receipt_number)
    page.get_by_label("Receipt number").press("Enter")
    page.get_by_label("Return qty of Earl Grey tea 250g").fill("1")
    page.get_by_role("button", name="Review refund").click()
    confirm = page.get_by_role("button", name="Confirm return and refund £4.20")
    screenshot(page, "till-return-review")
    confirm.click()
    page.get_by_role("status").filter(has_text="Refunded 4.20 by cash").wait_for()
    assert Return.objects.get().status == Return.Status.FINALIZED
    assert InventoryItem.objects.get(variant=shop.tea).on_hand == Decimal(49)

    # close the till: counted cash, Z report
    page.get_by_role("link", name="Close till").click()
    page.get_by_label("Counted cash").fill("100.00")
    page.get_by_role("button", name="Close till").click()
    report = page.get_by_role("article", name=re.compile("Z report"))
    report.wait_for()
    text = report.inner_text()
    assert "Expected cash" in text and "£104.20" in text and "−£4.20" in text
    approvals = page.get_by_role("table", name="Manager approvals").inner_text()
    assert "morgan" in approvals and "Customer changed their mind" in approvals
    assert "alex" in page.get_by_role("table", name="By cashier").inner_text()
    screenshot(page, "till-z-report", full_page=True)
    assert RegisterSession.objects.get().status == RegisterSession.Status.CLOSED


def test_double_clicked_pay_is_one_sale_and_a_closed_till_stops_a_stale_tab(page, sign_in, shop):
    member = open_till(page, sign_in, shop, username="kim")
    scan(page, shop.frame.barcode)
    page.keyboard.press("F9")
    page.get_by_label("Cash").fill("30")
    page.get_by_role("button", name="Pay", exact=True).dblclick()
    page.get_by_text("Change due £6.00").wait_for()
    assert Sale.objects.count() == 1

    # a second tab of the same browser shares the till and its cart
    page.get_by_role("link", name="New sale").first.click()
    scan(page, shop.mug.barcode)
    other = page.context.new_page()
    other.goto("/till/")
    assert other.get_by_label("Quantity of Red enamel mug").input_value() == "1"
    other.close()

    # the till is closed elsewhere: the stale page's next scan changes nothing
    register_session_close(
        session=RegisterSession.objects.get(), counted_cash=Decimal(124), actor=member.user
    )
    field = page.get_by_label("Barcode or SKU")
    field.type(shop.tea.barcode)
    field.press("Enter")
    page.get_by_role("alert").filter(has_text="was closed by kim").wait_for()
    assert page.get_by_role("button", name="Open till").is_visible()
    assert Sale.objects.count() == 1


def test_viewer_has_no_till_in_the_browser(page, sign_in, shop):
    sign_in(role=Role.VIEWER)
    assert page.get_by_role("link", name="Till").count() == 0
    page.goto("/till/")
    assert page.get_by_role("alert").inner_text() == "Your role does not allow this page."


def test_a_discount_above_the_cashiers_limit_asks_a_manager_at_pay(
    page, sign_in, shop, screenshot, make_member
):
    """Issue 12: the shop lets a cashier give 10 % alone; 25 % off asks for a manager."""
    manager = make_member(role=Role.MANAGER, tenant=shop.tenant, username="mo")
    open_till(page, sign_in, shop, username="jo")
    scan(page, shop.frame.barcode)
    discount = page.get_by_label("Discount on Oak photo frame A4")
    discount.fill("25%")
    wait_for_cart_update(page, lambda: discount.press("Enter"))
    assert page.get_by_label("Total to pay").inner_text() == "£18.00"
    page.keyboard.press("F9")
    page.get_by_label("Cash").fill("20")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_role("alert").filter(has_text="more than you may give alone").wait_for()
    assert Sale.objects.count() == 0
    page.get_by_label("Manager username").fill("mo")
    page.get_by_label("Manager password").fill(PASSWORD)
    page.get_by_label("Reason for the discount").fill("Scratched frame")
    assert page.get_by_label("Cash").input_value() == "20"
    screenshot(page, "till-approval")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_text("Change due £2.00").wait_for()
    line = Sale.objects.get().lines.get()
    assert line.discount_approved_by_id == manager.user_id
    assert line.discount_reason == "Scratched frame"
    receipt = page.get_by_role("article", name=re.compile("Receipt")).inner_text()
    assert "approved by mo" in receipt and shop.frame.sku in receipt


def test_cashier_records_paid_in_and_paid_out(page, sign_in, shop, screenshot):
    """Paid in / Paid out at the till: the direction beside its words, the movement listed
    and counted in the expected cash (issue 12)."""
    open_till(page, sign_in, shop)
    page.get_by_role("link", name="Paid in / Paid out").click()
    page.get_by_role("radio", name="Paid in").check()
    page.get_by_label("Amount").fill("20.00")
    page.get_by_label("Reason").fill("Change from the bank")
    page.get_by_role("button", name="Record").click()
    movements = page.get_by_role("table", name="Cash movements")
    movements.get_by_role(
        "row", name=re.compile("Paid in .*£20.00.*Change from the bank")
    ).wait_for()
    page.get_by_role("radio", name="Paid out").check()
    page.get_by_label("Amount").fill("3.50")
    page.get_by_label("Reason").fill("Milk for the staff room")
    page.get_by_role("button", name="Record").click()
    movements.get_by_role("row", name=re.compile("Paid out .*£3.50")).wait_for()
    page.get_by_text("Paid out: £3.50 (Milk for the staff room).").wait_for()
    screenshot(page, "till-cash")
    page.set_viewport_size(TABLET)
    screenshot(page, "till-cash-tablet", full_page=True)
    session = RegisterSession.objects.get(status=RegisterSession.Status.OPEN)
    assert [(m.direction, m.amount) for m in session.cash_movements.order_by("pk")] == [
        ("IN", Decimal("20.00")),
        ("OUT", Decimal("3.50")),
    ]
