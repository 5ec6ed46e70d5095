"""core.numbers (one parser for quantities, costs, money) and core.filters."""

from decimal import Decimal as D

import pytest

from storekeep.core.errors import ValidationFailed
from storekeep.core.numbers import clean_cost, clean_qty, money, per_stock_unit
from storekeep.inventory.selectors import transfer_list


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        ("abc", {}),
        ("NaN", {}),
        ("1.0001", {}),
        ("0", {}),
        ("-1", {}),
        ("100000000000", {}),
    ],
)
def test_clean_qty_rejects(value, kwargs):
    with pytest.raises(ValidationFailed) as exc:
        clean_qty(value, field_name="qty", **kwargs)
    assert exc.value.details == {"qty": [value]}


def test_clean_qty_accepts_and_quantizes():
    assert str(clean_qty("2")) == "2.000"
    assert clean_qty("0", allow_zero=True) == 0
    assert clean_qty("-1.5", allow_negative=True) == D("-1.5")


def test_clean_cost():
    assert clean_cost(None) is None
    assert str(clean_cost("1.5")) == "1.5000"
    for bad in ("-1", "1.00001", "x", "99999999999"):
        with pytest.raises(ValidationFailed):
            clean_cost(bad)


def test_money_and_per_stock_unit():
    assert money(None) == D("0.00")
    assert money(D("2.345")) == D("2.34")  # half-even
    assert per_stock_unit(D("12"), D("12")) == D("1.0000")
    assert per_stock_unit(None, D("12")) is None


@pytest.mark.django_db
def test_filters_blank_and_unknown_are_ignored_bad_values_are_400(tenant):
    assert list(transfer_list(tenant=tenant, filters={"status": "", "nonsense": "x"})) == []
    with pytest.raises(ValidationFailed) as exc:
        transfer_list(tenant=tenant, filters={"status": "NOPE"})
    assert set(exc.value.details) == {"status"}
    with pytest.raises(ValidationFailed):
        transfer_list(tenant=tenant, filters={"from_location_id": "abc"})


@pytest.mark.django_db
def test_id_list_filter_empty_list_matches_nothing(tenant, store, stock, variant):
    from storekeep.inventory.selectors import stock_level_list

    stock(variant, store, D("1"))
    assert stock_level_list(tenant=tenant, filters={"variant_ids": []}).count() == 0
    assert stock_level_list(tenant=tenant, filters={"variant_ids": [variant.pk]}).count() == 1
    assert stock_level_list(tenant=tenant, filters={"variant_ids": f"{variant.pk}"}).count() == 1
    assert stock_level_list(tenant=tenant, filters={}).count() == 1
