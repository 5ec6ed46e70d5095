"""Unit conversion to the stock unit (SPEC §7)."""

from decimal import Decimal

import pytest

from storekeep.catalog.models import UnitConversion, Variant
from storekeep.catalog.units import UnitConverter, to_stock_units
from storekeep.core.errors import ValidationFailed
from storekeep.testing import factories


@pytest.fixture
def flour(tenant):
    return factories.VariantFactory(tenant=tenant, sku="FLOUR", unit=Variant.Unit.KG)


@pytest.mark.parametrize(
    "qty,unit,expected",
    [("1500", "g", "1.500"), ("2", "kg", "2"), ("2", None, "2"), ("1", "g", "0.001")],
)
def test_builtin_mass_conversions(tenant, flour, qty, unit, expected):
    assert to_stock_units(tenant=tenant, variant=flour, qty=Decimal(qty), unit=unit) == Decimal(
        expected
    )


def test_milliliters_to_liters_and_back(tenant):
    milk = factories.VariantFactory(tenant=tenant, unit=Variant.Unit.L)
    syrup = factories.VariantFactory(tenant=tenant, unit=Variant.Unit.ML)
    assert to_stock_units(tenant=tenant, variant=milk, qty=Decimal("250"), unit="mL") == Decimal(
        "0.250"
    )
    assert to_stock_units(tenant=tenant, variant=syrup, qty=Decimal("1.5"), unit="L") == Decimal(
        "1500"
    )


def test_custom_conversion_rows_and_unknown_units(tenant, variant):
    UnitConversion.objects.create(tenant=tenant, variant=variant, unit="case", factor=Decimal("12"))
    converter = UnitConverter(tenant=tenant, variants={variant.pk: variant}, units=["case"])
    assert converter.convert(variant.pk, Decimal("3"), "case") == Decimal("36")
    with pytest.raises(ValidationFailed) as exc:
        to_stock_units(
            tenant=tenant, variant=variant, qty=Decimal("1"), unit="kg"
        )  # piece ← kg: no conversion
    assert exc.value.status_code == 400 and "unit" in exc.value.details


def test_conversion_that_needs_more_than_three_decimals_is_rejected(tenant, flour):
    with pytest.raises(ValidationFailed):
        to_stock_units(tenant=tenant, variant=flour, qty=Decimal("0.5"), unit="g")


def test_another_tenants_conversion_is_ignored(tenant, other_tenant, variant):
    foreign = factories.VariantFactory(tenant=other_tenant)
    UnitConversion.objects.create(
        tenant=other_tenant, variant=foreign, unit="case", factor=Decimal("12")
    )
    with pytest.raises(ValidationFailed):
        to_stock_units(tenant=tenant, variant=variant, qty=Decimal("1"), unit="case")
