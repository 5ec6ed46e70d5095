"""GET/PATCH /api/v1/tenant and the allow_negative_stock sync (SPEC §2, §3.3)."""

from decimal import Decimal

from storekeep.inventory.models import InventoryItem
from storekeep.tenants.models import Tenant

URL = "/api/v1/tenant"


def test_every_member_reads_the_settings(viewer_client, tenant):
    body = viewer_client.get(URL).json()
    assert (
        body["slug"] == "acme"
        and body["currency"] == "GBP"
        and body["allow_negative_stock"] is False
    )


def test_only_the_owner_changes_them(manager_client, owner_client, tenant):
    assert manager_client.patch(URL, {"name": "Hacked"}, format="json").status_code == 403
    response = owner_client.patch(
        URL,
        {
            "name": "Acme Ltd",
            "currency": "eur",
            "timezone": "Europe/Paris",
            "default_reorder_point": "3",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    tenant.refresh_from_db()
    assert (tenant.name, tenant.currency, tenant.timezone) == ("Acme Ltd", "EUR", "Europe/Paris")
    assert tenant.default_reorder_point == Decimal("3")


def test_bad_settings_are_400(owner_client, tenant):
    for body in (
        {"currency": "EURO"},
        {"timezone": "Mars/Olympus"},
        {"return_window_days": -1},
        {"default_reorder_point": "NaN"},
        {"slug": "stolen"},
    ):
        response = owner_client.patch(URL, body, format="json")
        if "slug" in body:  # read-only: ignored
            assert response.status_code == 200
            continue
        assert response.status_code == 400, body
    assert Tenant.objects.get(pk=tenant.pk).slug == "acme"


def test_allow_negative_stock_syncs_every_item_and_is_refused_off_while_negative(
    owner_client, manager_client, variant, store, stock
):
    stock(variant, store, 1)
    assert owner_client.patch(URL, {"allow_negative_stock": True}, format="json").status_code == 200
    assert InventoryItem.objects.get(variant=variant).allow_negative is True
    # the manager's client holds its own (fresh) membership → tenant; the engine now allows going below zero
    response = manager_client.post(
        "/api/v1/inventory/adjustments",
        {
            "location_id": store.pk,
            "reason": "correction",
            "lines": [{"variant_id": variant.pk, "delta": "-3"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert InventoryItem.objects.get(variant=variant).on_hand == Decimal("-2")

    refused = owner_client.patch(URL, {"allow_negative_stock": False}, format="json")
    assert (
        refused.status_code == 409 and refused.json()["details"]["items"][0]["on_hand"] == "-2.000"
    )
    assert Tenant.objects.get(slug="acme").allow_negative_stock is True

    stock(variant, store, 2)
    assert (
        owner_client.patch(URL, {"allow_negative_stock": False}, format="json").status_code == 200
    )
    assert InventoryItem.objects.get(variant=variant).allow_negative is False
