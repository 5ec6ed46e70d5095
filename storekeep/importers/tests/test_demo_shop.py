"""The demo shop's dressing: VAT categories, barcodes, costs, vendors, reorder points."""

from decimal import Decimal

import pytest

from storekeep.catalog.models import Variant
from storekeep.importers.demo_shop import dress_demo_catalog, dress_demo_stock, ean13
from storekeep.inventory.models import InventoryItem
from storekeep.locations.models import Location
from storekeep.purchasing.models import Vendor, VendorVariant
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


def test_ean13_check_digit():
    assert ean13("400638133393") == "4006381333931"
    assert ean13("501234567890") == "5012345678900"


def test_dressing_is_uk_vat_with_barcodes_costs_vendors_and_reorder_points(tenant, stock):
    store = factories.LocationFactory(tenant=tenant, code="STORE1")
    warehouse = factories.LocationFactory(tenant=tenant, code="WH1", type=Location.Type.WAREHOUSE)
    mac = factories.VariantFactory(
        tenant=tenant,
        product=factories.ProductFactory(tenant=tenant, name="KIDS RAIN MAC PINK"),
        price=Decimal("8.50"),
        cost=Decimal("0"),
    )
    mug = factories.VariantFactory(
        tenant=tenant,
        product=factories.ProductFactory(tenant=tenant, name="CHILDRENS SPACEBOY MUG"),
        price=Decimal("1.65"),
        cost=Decimal("0"),
    )
    stock(mug, store, 3)
    stock(mug, warehouse, 60)

    dress_demo_catalog(tenant=tenant)
    dress_demo_stock(tenant=tenant, store=store, warehouse=warehouse)
    dress_demo_catalog(tenant=tenant)
    dress_demo_stock(tenant=tenant, store=store, warehouse=warehouse)  # idempotent

    mac.refresh_from_db()
    mug.refresh_from_db()
    assert mac.product.tax_category.rate == 0
    assert mug.product.tax_category.rate == 20
    for variant in (mac, mug):
        assert len(variant.barcode) == 13 and ean13(variant.barcode[:12]) == variant.barcode
        assert Decimal("0.45") <= variant.cost / variant.price <= Decimal("0.60")
    assert Variant.objects.filter(tenant=tenant).values("barcode").distinct().count() == 2
    # the zero-rated range is on the store's shelf, reorder points make the mug low there only
    assert InventoryItem.objects.get(variant=mac, location=store).on_hand == Decimal(6)
    assert InventoryItem.objects.get(variant=mug, location=store).reorder_point == Decimal(4)
    assert InventoryItem.objects.get(variant=mug, location=warehouse).reorder_point == Decimal(50)
    assert Vendor.objects.filter(tenant=tenant).count() == 2
    assert VendorVariant.objects.filter(tenant=tenant).count() == 2
