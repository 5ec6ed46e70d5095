from decimal import Decimal

from storekeep.inventory.models import InventoryItem


def test_stock_fixture_receives_through_engine(variant, store, stock):
    rows = stock(variant, store, "5", unit_cost="2.00")
    item = InventoryItem.objects.get(variant=variant, location=store)
    assert item.on_hand == Decimal("5.000")
    assert rows[0].balance_after == Decimal("5.000")


def test_owner_client_is_authenticated(owner_client):
    response = owner_client.get("/api/v1/auth/nonexistent")
    assert response.status_code == 404
