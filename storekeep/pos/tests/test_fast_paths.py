"""The till's fast paths (issue 11) answer exactly what the serializers answer.

``CheckoutInput.fast_validated`` either declines (None: the serializer validates) or gives
the serializer's ``validated_data``, value for value and decimal exponent for exponent;
``represent`` renders a receipt as ``.data`` does, key order included.
"""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storekeep.core.rows import plain_row
from storekeep.pos.api import serializers as s
from storekeep.pos.api.views import quote_body, sale_body
from storekeep.pos.services import CartLine, Tender, checkout, quote
from storekeep.tenants.models import Role

from .factories import member


def _exact(value):
    """``value`` with every Decimal as its text, so 2 and 2.000 differ."""
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, Decimal):
        return ("D", str(value))
    return value


def _drf(data):
    serializer = s.CheckoutInput(data=data)
    return serializer.validated_data if serializer.is_valid() else None


numbers = st.one_of(
    st.integers(min_value=-3, max_value=2**64),
    st.sampled_from(["1", "2.5", "0.001", "0", "0.0005", "10.000", "1.2345", "-1", "01", "1e3"]),
    st.sampled_from([" 1", "1 ", "１", "1.", ".5", "", "NaN", "99999999999.999", "999999999999"]),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
)
ids = st.one_of(st.integers(min_value=-2, max_value=2**64), st.booleans(), st.text(max_size=3))
barcodes = st.one_of(
    st.sampled_from(["5012345678900", "ABC-1", " 501", "x" * 65, "", "a\x00b", "café"]),
    st.text(max_size=6),
)
line = st.dictionaries(
    st.sampled_from(["variant_id", "barcode", "qty", "unit_price", "discount_percent", "x"]),
    st.one_of(ids, numbers, barcodes),
    max_size=4,
) | st.fixed_dictionaries({"variant_id": ids, "qty": numbers})
tender = st.dictionaries(
    st.sampled_from(["method", "amount", "tendered"]),
    st.one_of(st.sampled_from(["CASH", "CARD", "OTHER", "cash", "GIFT"]), numbers),
    max_size=3,
) | st.fixed_dictionaries({"method": st.sampled_from(["CASH", "CARD"]), "amount": numbers})
body = st.dictionaries(
    st.sampled_from(["lines", "tenders", "external_ref", "approval_token", "source"]),
    st.one_of(st.lists(line, max_size=4), st.lists(tender, max_size=3), st.text(max_size=3)),
    max_size=3,
) | st.fixed_dictionaries(
    {"lines": st.lists(line, min_size=1, max_size=4)},
    optional={"tenders": st.lists(tender, max_size=3)},
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body)
def test_fast_checkout_input_declines_or_equals_the_serializer(data):
    fast = s.CheckoutInput.fast_validated(data)
    if fast is not None:
        assert _exact(fast) == _exact(_drf(data))


def test_the_everyday_cart_takes_the_fast_path():
    data = {
        "lines": [{"variant_id": 12, "qty": "2"}, {"barcode": "5012345678900", "qty": 1}],
        "tenders": [{"method": "CASH", "amount": "20"}, {"method": "CARD", "amount": "3.5"}],
    }
    fast = s.CheckoutInput.fast_validated(data)
    assert fast is not None
    assert _exact(fast) == _exact(_drf(data))
    assert str(fast["lines"][0]["qty"]) == "2.000" and str(fast["tenders"][1]["amount"]) == "3.50"


@pytest.mark.django_db
def test_represent_equals_the_serializers_data(world):
    manager = member(world.tenant, Role.MANAGER)
    lines = [
        CartLine(variant=world.variants[0], qty=Decimal("2"), discount_percent=Decimal("10")),
        CartLine(variant=world.variants[1], qty=Decimal("1.5")),
    ]
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        lines=lines,
        tenders=[Tender("CASH", Decimal("1000"))],
        actor=manager.user,
        source="API",
        external_ref="EXT-9",
        membership=manager,
    )
    sale = result.sale
    sale.register_session = None
    body = sale_body(sale, result.lines, result.payments, world.tenant)
    fast = plain_row(s.SaleOutput, body)
    assert fast == s.SaleOutput(body).data
    assert list(fast) == list(s.SaleOutput(body).data)
    assert [list(x) for x in fast["lines"]] == [list(x) for x in s.SaleOutput(body).data["lines"]]

    priced = quote(tenant=world.tenant, lines=lines)
    receipt = quote_body(priced, world.tenant)
    assert plain_row(s.ReceiptOutput, receipt) == s.ReceiptOutput(receipt).data


qty_text = st.from_regex(r"\A(0|[1-9][0-9]{0,10})(\.[0-9]{1,3})?\Z").filter(
    lambda t: Decimal(t) >= Decimal("0.001")
)
money_text = st.from_regex(r"\A(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?\Z").filter(
    lambda t: Decimal(t) >= Decimal("0.01")
)
everyday = st.fixed_dictionaries(
    {
        "lines": st.lists(
            st.fixed_dictionaries(
                {
                    "variant_id": st.integers(min_value=1, max_value=2**63 - 1),
                    "qty": qty_text | st.integers(min_value=1, max_value=10**11 - 1),
                }
            ),
            min_size=1,
            max_size=5,
        )
    },
    optional={
        "tenders": st.lists(
            st.fixed_dictionaries(
                {"method": st.sampled_from(["CASH", "CARD", "OTHER"]), "amount": money_text}
            ),
            max_size=3,
        )
    },
)


@settings(max_examples=300, deadline=None)
@given(everyday)
def test_every_everyday_cart_is_taken_and_equals_the_serializer(data):
    fast = s.CheckoutInput.fast_validated(data)
    assert fast is not None
    assert _exact(fast) == _exact(_drf(data))


@pytest.mark.django_db
def test_sale_list_rows_from_values_equal_the_instances(world):
    from storekeep.core.rows import plain_rows
    from storekeep.pos import selectors

    manager = member(world.tenant, Role.MANAGER)
    for ref in ("A", "B"):
        checkout(
            tenant=world.tenant,
            location=world.store,
            lines=[CartLine(variant=world.variants[0], qty=Decimal("1"))],
            tenders=[Tender("CASH", Decimal("1000"))],
            actor=manager.user,
            source="API",
            external_ref=ref,
            membership=manager,
        )
    sales = selectors.sale_list(tenant=world.tenant)
    fast = plain_rows(s.SaleListOutput, sales.values(*s.SALE_LIST_VALUES))
    assert fast == s.SaleListOutput(sales, many=True).data
    assert len(fast) == 2 and list(fast[0]) == list(s.SaleListOutput().fields)


@pytest.mark.django_db
def test_variant_look_up_is_one_statement_and_reads_as_the_orm(world, django_assert_num_queries):
    """The hand-written variant look-up (barcode or id, product and tax category joined)
    gives the ORM's instances and values, a product without a tax category included."""
    from storekeep.catalog.models import Variant
    from storekeep.pos.services.pricing import resolve_variants
    from storekeep.testing.factories import ProductFactory, VariantFactory

    untaxed = VariantFactory(
        tenant=world.tenant,
        product=ProductFactory(tenant=world.tenant, tax_category=None),
        barcode="5012345678900",
    )
    lines = [
        CartLine(variant_id=world.variants[0].pk, qty=Decimal("1")),
        CartLine(barcode="5012345678900", qty=Decimal("1")),
    ]
    with django_assert_num_queries(1):
        found = resolve_variants(world.tenant, lines)
        assert found[1].product.tax_category is None
        assert found[0].product.tax_category.rate == world.vat.rate
    expected = Variant.objects.select_related("product__tax_category").get(pk=world.variants[0].pk)
    for name in ("price", "fee", "created_at", "is_active", "unit", "sku"):
        assert getattr(found[0], name) == getattr(expected, name)
        assert type(getattr(found[0], name)) is type(getattr(expected, name))
    assert found[1].pk == untaxed.pk
