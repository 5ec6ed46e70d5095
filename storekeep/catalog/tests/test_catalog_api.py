"""CRUD of categories, tax categories, products, variants, unit conversions (SPEC §2, §10)."""

from decimal import Decimal

import pytest

from storekeep.catalog.models import Product, Variant
from storekeep.testing import factories


@pytest.fixture
def product(tenant):
    return factories.ProductFactory(tenant=tenant, name="Mug")


def variant_body(product, **extra):
    return {
        "product_id": product.pk,
        "sku": "MUG-GREEN",
        "price": "12.50",
        "cost": "5.0000",
        **extra,
    }


def test_manager_creates_a_variant_with_decimal_strings(manager_client, product):
    response = manager_client.post(
        "/api/v1/variants", variant_body(product, barcode="5012345678900"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["product_id"] == product.pk and body["sku"] == "MUG-GREEN"
    assert body["price"] == "12.5000" and body["barcode"] == "5012345678900"
    assert body["track_inventory"] is True and body["unit"] == "piece"
    variant = Variant.objects.get(pk=body["id"])
    assert variant.tenant == product.tenant and variant.price == Decimal("12.5")


def test_trailing_slash_is_accepted(owner_client, product):
    assert owner_client.get("/api/v1/variants/").status_code == 200
    assert owner_client.get("/api/v1/variants").status_code == 200


def test_duplicate_sku_or_barcode_is_409_duplicate_naming_the_field(
    manager_client, product, tenant
):
    factories.VariantFactory(tenant=tenant, product=product, sku="MUG-GREEN", barcode="111")
    response = manager_client.post("/api/v1/variants", variant_body(product), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate" and "sku" in response.json()["details"]
    response = manager_client.post(
        "/api/v1/variants", variant_body(product, sku="OTHER", barcode="111"), format="json"
    )
    assert response.status_code == 409 and "barcode" in response.json()["details"]
    assert Variant.objects.count() == 1


def test_same_sku_in_another_tenant_is_fine_and_blank_barcodes_never_clash(
    manager_client, product, other_tenant
):
    factories.VariantFactory(tenant=other_tenant, sku="MUG-GREEN")
    assert (
        manager_client.post(
            "/api/v1/variants", variant_body(product, barcode=""), format="json"
        ).status_code
        == 201
    )
    second = manager_client.post(
        "/api/v1/variants", variant_body(product, sku="MUG-2", barcode=""), format="json"
    )
    assert second.status_code == 201 and second.json()["barcode"] is None


def test_updating_a_variant_to_another_variants_sku_is_409(manager_client, product, tenant):
    factories.VariantFactory(tenant=tenant, product=product, sku="A")
    b = factories.VariantFactory(tenant=tenant, product=product, sku="B")
    response = manager_client.patch(f"/api/v1/variants/{b.pk}", {"sku": "A"}, format="json")
    assert response.status_code == 409
    assert (
        manager_client.patch(
            f"/api/v1/variants/{b.pk}", {"sku": "B", "price": "1"}, format="json"
        ).status_code
        == 200
    )


def test_reference_to_another_tenants_product_is_400_does_not_exist(manager_client, other_tenant):
    foreign = factories.ProductFactory(tenant=other_tenant)
    response = manager_client.post(
        "/api/v1/variants", {"product_id": foreign.pk, "sku": "X"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "does not exist" in response.json()["details"]["product_id"][0]
    assert not Variant.objects.filter(sku="X").exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("price", "-1"),
        ("cost", "abc"),
        ("price", "1e20"),
        ("fee", "0.001"),
        ("reorder_point", "-5"),
        ("unit", "bucket"),
        ("product_id", "abc"),
        ("product_id", [1]),
        ("track_inventory", "maybe"),
        ("sku", ""),
    ],
)
def test_invalid_variant_fields_are_400(manager_client, product, field, value):
    response = manager_client.post(
        "/api/v1/variants", variant_body(product, **{field: value}), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert Variant.objects.count() == 0


def test_deleting_a_product_with_variants_is_409_conflict(manager_client, product, tenant):
    factories.VariantFactory(tenant=tenant, product=product)
    response = manager_client.delete(f"/api/v1/products/{product.pk}")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_variant_with_ledger_rows_is_409(manager_client, variant, store, stock):
    stock(variant, store, 3)
    response = manager_client.delete(f"/api/v1/variants/{variant.pk}")
    assert response.status_code == 409
    assert Variant.objects.filter(pk=variant.pk).exists()


def test_deleting_an_unused_category_works_and_a_used_one_is_409(manager_client, tenant):
    used = factories.CategoryFactory(tenant=tenant)
    factories.ProductFactory(tenant=tenant, category=used)
    unused = factories.CategoryFactory(tenant=tenant)
    assert manager_client.delete(f"/api/v1/categories/{unused.pk}").status_code == 204
    assert manager_client.delete(f"/api/v1/categories/{used.pk}").status_code == 409


def test_category_cannot_become_its_own_ancestor(manager_client, tenant):
    parent = factories.CategoryFactory(tenant=tenant)
    child = factories.CategoryFactory(tenant=tenant, parent=parent)
    response = manager_client.patch(
        f"/api/v1/categories/{parent.pk}", {"parent_id": child.pk}, format="json"
    )
    assert response.status_code == 400 and "parent_id" in response.json()["details"]


def test_tax_rate_is_a_percent_between_0_and_100(manager_client):
    assert (
        manager_client.post(
            "/api/v1/tax-categories", {"name": "VAT", "rate": "20"}, format="json"
        ).status_code
        == 201
    )
    bad = manager_client.post(
        "/api/v1/tax-categories", {"name": "Silly", "rate": "120"}, format="json"
    )
    assert bad.status_code == 400 and "rate" in bad.json()["details"]
    dup = manager_client.post("/api/v1/tax-categories", {"name": "VAT", "rate": "5"}, format="json")
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate"


def test_variant_search_and_filters(viewer_client, tenant):
    cat = factories.CategoryFactory(tenant=tenant)
    lamp = factories.ProductFactory(tenant=tenant, name="Desk lamp", category=cat)
    factories.VariantFactory(tenant=tenant, product=lamp, sku="LAMP-1", barcode="999001")
    factories.VariantFactory(tenant=tenant, product=lamp, sku="LAMP-2", is_active=False)
    factories.VariantFactory(tenant=tenant, sku="CUP-1", track_inventory=False)

    def skus(query):
        response = viewer_client.get(f"/api/v1/variants?{query}")
        assert response.status_code == 200, response.content
        return sorted(row["sku"] for row in response.json()["results"])

    assert skus("search=lamp") == ["LAMP-1", "LAMP-2"]  # product name
    assert skus("search=999001") == ["LAMP-1"]  # barcode
    assert skus("search=cup-") == ["CUP-1"]  # sku
    assert skus(f"category={cat.pk}&is_active=true") == ["LAMP-1"]
    assert skus("track_inventory=false") == ["CUP-1"]
    assert skus(f"product_id={lamp.pk}") == ["LAMP-1", "LAMP-2"]
    assert skus("barcode=999001") == ["LAMP-1"]
    assert skus("sku=LAMP-2") == ["LAMP-2"]
    assert viewer_client.get("/api/v1/variants?product_id=abc").status_code == 400

    products = viewer_client.get(f"/api/v1/products?category={cat.pk}&search=desk").json()
    assert [p["name"] for p in products["results"]] == ["Desk lamp"]
    assert viewer_client.get("/api/v1/products?search=LAMP-1").json()["count"] == 1


def test_pagination_shape(viewer_client, tenant):
    for i in range(7):
        factories.VariantFactory(tenant=tenant, sku=f"P-{i}")
    page = viewer_client.get("/api/v1/variants?page_size=3&page=2").json()
    assert page["count"] == 7 and len(page["results"]) == 3 and page["next"] and page["previous"]


def test_variant_list_query_count_does_not_grow_with_page_size(
    viewer_client, tenant, django_assert_num_queries, django_assert_max_num_queries
):
    for i in range(30):
        factories.VariantFactory(tenant=tenant, sku=f"Q-{i:02d}")
    viewer_client.get("/api/v1/variants?page_size=5")  # warm the token's last_used_at
    with django_assert_max_num_queries(4) as small:
        assert len(viewer_client.get("/api/v1/variants?page_size=5").json()["results"]) == 5
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(viewer_client.get("/api/v1/variants?page_size=30").json()["results"]) == 30


def test_viewer_reads_but_cannot_write(viewer_client, cashier_client, product):
    assert viewer_client.get("/api/v1/products").status_code == 200
    for client in (viewer_client, cashier_client):
        response = client.post("/api/v1/variants", variant_body(product), format="json")
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
        assert client.delete(f"/api/v1/products/{product.pk}").status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()


def test_cannot_switch_lot_tracking_while_stocked(manager_client, variant, store, stock):
    stock(variant, store, 2)
    response = manager_client.patch(
        f"/api/v1/variants/{variant.pk}", {"track_lots": True}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    variant.refresh_from_db()
    assert variant.track_lots is False


def test_unit_conversion_crud(manager_client, variant):
    response = manager_client.post(
        "/api/v1/unit-conversions",
        {"variant_id": variant.pk, "unit": "case", "factor": "12"},
        format="json",
    )
    assert response.status_code == 201, response.content
    dup = manager_client.post(
        "/api/v1/unit-conversions",
        {"variant_id": variant.pk, "unit": "case", "factor": "6"},
        format="json",
    )
    assert dup.status_code == 409
    zero = manager_client.post(
        "/api/v1/unit-conversions",
        {"variant_id": variant.pk, "unit": "box", "factor": "0"},
        format="json",
    )
    assert zero.status_code == 400
