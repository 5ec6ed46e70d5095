"""The Python and SQL forms of each stock rule agree (inventory/rules.py)."""

from decimal import Decimal as D

import pytest

from storekeep.inventory.models import InventoryItem
from storekeep.inventory.rules import is_low_stock, resolve_threshold, stock_value
from storekeep.inventory.selectors import stock_level_list
from storekeep.reports.selectors import inventory_overview, valuation_list
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("item_point", "variant_point", "tenant_default", "expected"),
    [
        (D("7"), D("5"), D("3"), D("7")),
        (None, D("5"), D("3"), D("5")),
        (None, None, D("3"), D("3")),
        (D("0"), D("5"), D("3"), D("0")),
    ],
)
def test_threshold_python_and_sql_agree(
    tenant, store, stock, item_point, variant_point, tenant_default, expected
):
    tenant.default_reorder_point = tenant_default
    tenant.save()
    variant = factories.VariantFactory(tenant=tenant, sku="T-1", reorder_point=variant_point)
    stock(variant, store, D("4"))
    InventoryItem.objects.filter(variant=variant).update(reorder_point=item_point)
    item = InventoryItem.objects.get(variant=variant)
    row = stock_level_list(tenant=tenant).get(pk=item.pk)
    assert resolve_threshold(item, variant, tenant) == expected
    assert row.threshold == expected
    assert row.is_low_stock == is_low_stock(row.available_qty, row.threshold)
    assert row.is_low_stock == (D("4") <= expected)


def test_stock_value_is_the_same_in_overview_valuation_and_python(tenant, store, warehouse, stock):
    a = factories.VariantFactory(tenant=tenant, sku="V-A")
    b = factories.VariantFactory(tenant=tenant, sku="V-B", unit="kg")  # weighed: 2.5 kg
    stock(a, store, D("3"), unit_cost=D("1.3333"))
    stock(b, warehouse, D("2.5"), unit_cost=D("0.0049"))
    items = InventoryItem.objects.filter(tenant=tenant)
    exact = sum((i.on_hand * i.avg_unit_cost for i in items), D("0"))
    rows, totals = valuation_list(tenant=tenant)
    assert inventory_overview(tenant=tenant)["total_value"] == exact.quantize(D("0.01"))
    assert totals["total_value"] == exact.quantize(D("0.01"))
    assert [stock_value(r.on_hand, r.avg_unit_cost) for r in rows] == [D("4.00"), D("0.01")]
