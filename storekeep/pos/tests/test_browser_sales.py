"""Sales list, sale page and the owner's dashboard in a real browser (Playwright + chromium)."""

import pytest

from storekeep.tenants.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_figures_lead_to_their_lists(page, sign_in, shop, screenshot):
    sign_in(role=Role.OWNER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Sales by day").wait_for()
    assert page.get_by_role("img", name="Sales by day").is_visible()
    z = page.get_by_role("region", name="Recent Z reports (register closes)").inner_text()
    assert "STORE1 · T1" in z
    screenshot(page, "backoffice-dashboard", full_page=True)
    page.get_by_role("link", name="Receipts").click()
    page.get_by_role("heading", name="Sales").wait_for()
    rows = page.get_by_role("table").inner_text()
    assert shop.sales[0].receipt_number in rows


def test_sales_list_filters_and_sale_page(page, sign_in, shop, screenshot):
    sign_in(role=Role.VIEWER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sales").click()
    page.get_by_label("Cashier").select_option(label="sam")
    page.get_by_label("Register").select_option(label="STORE1 · Front till")
    page.get_by_role("button", name="Apply filters").click()
    screenshot(page, "backoffice-sales", full_page=True)
    sale = shop.sales[-1]
    page.get_by_role("link", name=sale.receipt_number).click()
    page.get_by_role("heading", name="Tenders").wait_for()
    assert "Cash" in page.get_by_role("region", name="Tenders").inner_text()
    movements = page.get_by_role("region", name="Stock movements of this sale").inner_text()
    assert "Sale" in movements
    screenshot(page, "backoffice-sale", full_page=True)
