"""Property tests through the database: any cart sold then returned in any split
refunds exactly what was paid, and stock and ledger come back (SPEC §3.2, §5)."""

from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storekeep.inventory.models import InventoryItem
from storekeep.pos.models import Sale, SaleLine
from storekeep.pos.services import CartLine, ReturnLineInput, checkout, return_process

from .factories import build_world
from .test_checkout import assert_ledger_parity

pytestmark = pytest.mark.django_db

line_strategy = st.fixed_dictionaries(
    {
        "variant": st.integers(0, 3),
        "qty": st.decimals(min_value=D("0.001"), max_value=D("20"), places=3),
        "discount": st.one_of(
            st.none(),
            st.tuples(st.just("percent"), st.decimals(min_value=0, max_value=100, places=2)),
            st.tuples(st.just("amount"), st.decimals(min_value=0, max_value=D("0.50"), places=2)),
        ),
    }
)


@pytest.fixture
def prop_world(db):
    """One tenant shared by all the examples of a test (they only add sales and returns)."""
    world = build_world(n_variants=4, on_hand="1000000", prices_include_tax=False)
    for variant, price in zip(world.variants, ("0.001", "9.99", "1.2345", "100"), strict=True):
        variant.price = D(price)
        variant.fee = D("0.05") if price == "9.99" else D("0")
        variant.save()
    return world


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=4),
    order_discount=st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=1)),
    splits=st.lists(st.integers(1, 3), min_size=4, max_size=4),
)
def test_sold_then_fully_returned_refunds_what_was_paid(prop_world, lines, order_discount, splits):
    world = prop_world
    before = {i.variant_id: i.on_hand for i in InventoryItem.objects.filter(tenant=world.tenant)}
    cart = []
    for spec in lines:
        variant = world.variants[spec["variant"]]
        kw = {}
        if spec["discount"] is not None:
            kind, value = spec["discount"]
            gross = (variant.price * spec["qty"]).quantize(D("0.01"))
            if kind == "percent":
                kw["discount_percent"] = value
            else:
                kw["discount_amount"] = min(value, gross)
        cart.append(CartLine(variant_id=variant.pk, qty=spec["qty"], **kw))
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=cart,
        order_discount_percent=order_discount,
    )
    sale = Sale.objects.get(pk=result.sale.pk)
    stored = list(SaleLine.objects.filter(sale=sale).order_by("line_no"))
    assert sale.total == sum(ln.line_total for ln in stored) == result.receipt.total
    assert sale.tax_total == sum(ln.tax for ln in stored)
    assert sale.discount_total == sum(ln.discount for ln in stored)
    assert sale.subtotal == sum(ln.gross for ln in stored)

    refunded = D("0")
    refunded_tax = D("0")
    for line, parts in zip(stored, splits, strict=False):
        units = int(line.qty * 1000)
        cuts = sorted({max(1, units * k // parts) for k in range(1, parts)} | {units})
        done = 0
        for cut in cuts:
            if cut <= done:
                continue
            ret = return_process(
                tenant=world.tenant,
                sale_id=sale.pk,
                lines=[ReturnLineInput(qty=D(cut - done) / 1000, sale_line_id=line.pk)],
            )
            refunded += ret.refund_total
            refunded_tax += ret.refund_tax
            done = cut
    assert refunded == sale.total
    assert refunded_tax == sale.tax_total
    after = {i.variant_id: i.on_hand for i in InventoryItem.objects.filter(tenant=world.tenant)}
    assert after == before
    assert_ledger_parity(world.tenant)
