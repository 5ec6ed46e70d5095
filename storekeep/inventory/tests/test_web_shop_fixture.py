import pytest

pytestmark = pytest.mark.django_db


def test_shop_fixture_builds_a_week_of_trade(shop, web_client):
    assert len(shop.sales) >= 7
    page = web_client().get("/dashboard/").content.decode()
    assert "White hanging heart" in page or "White metal lantern" in page
