"""INTEGRATION in the browser (issue 12 item 4): an API client's login reads the back office as
its rank allows, and writes nothing, even where a cashier may (receiving a transfer); no till,
no staff."""

import pytest

from storekeep.inventory.models import InventoryTransfer
from storekeep.tenants.models import Role

pytestmark = pytest.mark.django_db


def test_integration_reads_but_cannot_receive_a_transfer(web_client, shop):
    client = web_client(Role.INTEGRATION)
    assert client.get("/stock/").status_code == 200
    page = client.get(f"/transfers/{shop.transfer.pk}/")
    assert page.status_code == 200
    assert b"Receive now" not in page.content  # the receiving column is not offered
    assert b"Receive now" in web_client(Role.CASHIER).get(f"/transfers/{shop.transfer.pk}/").content
    before = InventoryTransfer.objects.get(pk=shop.transfer.pk).status
    response = client.post(f"/transfers/{shop.transfer.pk}/", {"action": "receive"})
    assert response.status_code == 403
    assert b"integration account only reads" in response.content
    assert InventoryTransfer.objects.get(pk=shop.transfer.pk).status == before


@pytest.mark.parametrize("url", ["/till/", "/staff/"])
def test_integration_has_no_till_or_staff_pages(web_client, shop, url):
    response = web_client(Role.INTEGRATION).get(url)
    assert response.status_code == 403


def test_the_navigation_offers_integration_neither_till_nor_staff(web_client, shop):
    content = web_client(Role.INTEGRATION).get("/stock/").content.decode()
    nav = content.split('aria-label="Main"')[1].split("</nav>")[0]
    assert ">Stock<" in nav and ">Till<" not in nav and ">Staff<" not in nav
