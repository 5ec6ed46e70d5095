import pytest

from storekeep.tenants.models import Role

pytestmark = pytest.mark.django_db


def test_every_page_renders(web_client, store, warehouse, variant, stock):
    stock(variant, store, 10, unit_cost="2.50")
    client = web_client(Role.OWNER)
    for url in [
        "/stock/",
        f"/stock/{variant.pk}/",
        "/stock/receive/",
        f"/stock/{variant.pk}/adjust/{store.pk}/",
        "/transfers/",
        "/transfers/new/",
        "/counts/",
        "/reorder/",
        "/purchasing/",
        "/purchasing/orders/new/",
        "/purchasing/vendors/",
        "/sales/",
        "/dashboard/",
        "/stock/export.csv",
        "/reorder/export.csv",
        "/sales/export.csv",
        f"/stock/{variant.pk}/ledger.csv",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])
