"""Purchasing pages in a real browser (Playwright + chromium): create, submit, receive
in part with a lot and expiry, the over-receipt refusal, vendors."""

from decimal import Decimal as D

import pytest

from storekeep.inventory.models import InventoryItem
from storekeep.purchasing.models import PurchaseOrder
from storekeep.tenants.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_purchase_order_from_draft_to_partly_received(page, sign_in, shop, screenshot):
    shop.variants["71053"].track_lots = True
    shop.variants["71053"].save()
    sign_in(role=Role.MANAGER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchasing").click()
    page.get_by_role("link", name="New purchase order").click()
    page.get_by_label("Vendor").select_option(label="Cotswold Wholesale")
    page.get_by_label("Deliver to").select_option(label="STORE1 — High Street")
    page.get_by_label("Line 1 SKU or barcode").fill("71053")
    page.get_by_label("Line 1 quantity").fill("24")
    page.get_by_label("Line 2 SKU or barcode").fill("84029G")
    page.get_by_label("Line 2 quantity").fill("12")
    page.get_by_label("Line 2 unit cost").fill("1.65")
    page.get_by_role("button", name="Save draft order").click()
    page.get_by_role("button", name="Submit to vendor").click()
    assert "submitted" in page.get_by_role("status").inner_text()
    lantern, bottle = shop.variants["71053"], shop.variants["84029G"]
    page.get_by_label("Receiving now of 84029G").fill("20")
    page.get_by_label("Receiving now of 71053").fill("")
    page.get_by_role("button", name="Receive delivery").click()
    assert "more than" in " ".join(page.get_by_role("alert").all_inner_texts()).lower()
    page.get_by_label("Receiving now of 84029G").fill("12")
    page.get_by_label("Receiving now of 71053").fill("10")
    page.get_by_label("Lot code of 71053").fill("LOT-0426")
    page.get_by_label("Expiry date of 71053").fill("2031-04-30")
    page.get_by_role("button", name="Receive delivery").click()
    assert "Received 2 line(s)" in page.get_by_role("status").inner_text()
    screenshot(page, "backoffice-purchase-order", full_page=True)
    order = PurchaseOrder.objects.get()
    assert order.status == "PARTIAL_RECEIVED"
    store_qty = InventoryItem.objects.get(variant=lantern, location=shop.store).on_hand
    assert store_qty == D("16")  # 6 + 10
    assert InventoryItem.objects.get(variant=bottle, location=shop.store).on_hand == D("14")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Purchasing").click()
    page.get_by_role("link", name="Partially received 1").click()
    assert f"PO #{order.pk}" in page.get_by_role("table").inner_text()
    screenshot(page, "backoffice-purchasing")


def test_vendor_list_and_add(page, sign_in, shop, screenshot):
    sign_in(role=Role.MANAGER)
    page.goto("/purchasing/vendors/")
    page.get_by_label("Name").fill("Cotswold Wholesale")
    page.get_by_role("button", name="Add vendor").click()
    assert "already exists" in page.get_by_text("already exists").inner_text()
    page.get_by_label("Name").fill("Bristol Candles Ltd")
    page.get_by_label("Lead time (days)").fill("5")
    page.get_by_role("button", name="Add vendor").click()
    assert "Bristol Candles Ltd" in page.get_by_role("table").inner_text()
    screenshot(page, "backoffice-vendors")
