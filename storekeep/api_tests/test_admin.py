"""The admin shows every model; quantities and the ledger are read-only there (SPEC §3.1)."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.tenants.models import Tenant


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def data(variant, store, stock, tenant):
    stock(variant, store, 4, unit_cost="1.50")
    return InventoryItem.objects.get(variant=variant, location=store)


def test_every_registered_model_has_a_working_changelist_and_change_page(admin_client, data):
    storekeep_models = [m for m in admin.site._registry if m.__module__.startswith("storekeep.")]
    labels = {m._meta.label for m in storekeep_models}
    for expected in (
        "tenants.Tenant",
        "tenants.Membership",
        "accounts.ApiToken",
        "locations.Location",
        "catalog.Category",
        "catalog.TaxCategory",
        "catalog.Product",
        "catalog.Variant",
        "inventory.InventoryItem",
        "inventory.StockLedger",
        "inventory.Lot",
        "inventory.Reservation",
        "inventory.LowStockAlert",
        "core.IdempotencyRecord",
        "core.OutboxEvent",
    ):
        assert expected in labels, expected
    for model in storekeep_models:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert admin_client.get(change).status_code == 200, change


def test_ledger_is_read_only_and_filterable(admin_client, data):
    row = StockLedger.objects.get()
    url = reverse("admin:inventory_stockledger_changelist")
    assert (
        admin_client.get(
            f"{url}?ref_type__exact=RECEIPT&location__id__exact={data.location_id}"
        ).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:inventory_stockledger_add")).status_code == 403
    delete = admin_client.post(
        reverse("admin:inventory_stockledger_delete", args=[row.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert StockLedger.objects.filter(pk=row.pk).exists()


def test_item_quantities_cannot_be_edited_in_the_admin(admin_client, data):
    url = reverse("admin:inventory_inventoryitem_change", args=[data.pk])
    response = admin_client.post(
        url, {"on_hand": "999", "reserved": "1", "reorder_point": "2", "reorder_qty": ""}
    )
    assert response.status_code == 302, response.content[:500]
    data.refresh_from_db()
    assert data.on_hand == Decimal("4") and data.reserved == 0
    assert data.reorder_point == Decimal("2")  # thresholds are editable
    assert admin_client.get(reverse("admin:inventory_inventoryitem_add")).status_code == 403


def test_admin_toggle_of_negative_stock_syncs_items(admin_client, data, tenant):
    from storekeep.tenants.services import tenant_update_settings

    tenant_update_settings(tenant=tenant, allow_negative_stock=True)
    data.refresh_from_db()
    assert data.allow_negative is True
    tenant_update_settings(tenant=Tenant.objects.get(pk=tenant.pk), allow_negative_stock=False)
    data.refresh_from_db()
    assert data.allow_negative is False


@pytest.mark.django_db
def test_the_admin_is_the_platform_operators_only(client, make_member, tenant):
    """Issue 12 item 2: a tenant's owner (not ``is_staff``) gets the admin's sign-in page,
    never a tenant list; the operator (``is_staff``) gets in."""
    owner = make_member(role="OWNER", tenant=tenant)
    assert not owner.user.is_staff and not owner.user.is_superuser
    client.force_login(owner.user)
    response = client.get(reverse("admin:tenants_tenant_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    operator = get_user_model().objects.create_user("op", password="pw", is_staff=True)
    operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    assert client.get(reverse("admin:tenants_tenant_changelist")).status_code == 200
