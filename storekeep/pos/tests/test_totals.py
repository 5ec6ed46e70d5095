"""compute_receipt and refund proration (SPEC §5 "Totals"): examples and properties.

Pure tests: no database.
"""

from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storekeep.pos.totals import (
    ReceiptError,
    ReceiptLineInput,
    allocate_largest_remainder,
    compute_receipt,
    minor_unit_exponent,
    prorate_refund,
    refund_line_amounts,
    round_money,
)


def line(price, qty, rate="0", fee="0", key=None, **kw):
    return ReceiptLineInput(
        unit_price=D(price),
        qty=D(qty),
        tax_rate=D(rate),
        fee_per_unit=D(fee),
        key=key,
        **{k: D(v) for k, v in kw.items()},
    )


# ---------------------------------------------------------------- examples


def test_tax_exclusive_single_line_adds_tax_to_net():
    r = compute_receipt([line("10.00", "3", rate="20")], prices_include_tax=False)
    (ln,) = r.lines
    assert (ln.gross, ln.discount, ln.net, ln.tax, ln.fee, ln.line_total) == (
        D("30.00"),
        D("0.00"),
        D("30.00"),
        D("6.00"),
        D("0.00"),
        D("36.00"),
    )
    assert (r.subtotal, r.discount_total, r.tax_total, r.total) == (
        D("30.00"),
        D("0.00"),
        D("6.00"),
        D("36.00"),
    )


def test_tax_inclusive_extracts_tax_from_net_half_up():
    # 10.00 incl. 20 %: 10 - 10/1.2 = 1.6666… → 1.67
    r = compute_receipt([line("10.00", "1", rate="20")], prices_include_tax=True)
    (ln,) = r.lines
    assert ln.tax == D("1.67")
    assert ln.line_total == D("10.00")
    assert r.total == D("10.00")
    assert r.tax_total == D("1.67")


def test_tax_half_cent_rounds_up_not_to_even():
    r = compute_receipt([line("0.25", "1", rate="10")], prices_include_tax=False)
    assert r.lines[0].tax == D("0.03")  # 0.025 → 0.03 (half-up, not banker's)


def test_gross_rounds_half_up_for_fractional_prices_and_quantities():
    # 0.001 × 5 = 0.005 → 0.01 (half-up); 1.2345 × 2.5 = 3.08625 → 3.09
    r = compute_receipt(
        [line("0.001", "5"), line("1.2345", "2.5"), line("0.001", "4")],
        prices_include_tax=False,
    )
    assert [ln.gross for ln in r.lines] == [D("0.01"), D("3.09"), D("0.00")]
    assert r.subtotal == D("3.10")


def test_three_decimal_quantity_weighed_item():
    # 12.99 /kg × 0.456 kg = 5.92344 → 5.92; incl. 5 %: 5.92 × 5/105 = 0.2819 → 0.28
    r = compute_receipt([line("12.99", "0.456", rate="5")], prices_include_tax=True)
    (ln,) = r.lines
    assert (ln.gross, ln.tax, ln.line_total) == (D("5.92"), D("0.28"), D("5.92"))


def test_line_percent_and_amount_discounts():
    r = compute_receipt(
        [
            line("9.99", "3", rate="20", discount_percent="15"),  # 29.97 × .15 = 4.4955 → 4.50
            line("5.00", "2", rate="20", discount_amount="1.25"),
        ],
        prices_include_tax=False,
    )
    a, b = r.lines
    assert (a.gross, a.discount, a.net, a.tax, a.line_total) == (
        D("29.97"),
        D("4.50"),
        D("25.47"),
        D("5.09"),
        D("30.56"),
    )
    assert (b.gross, b.discount, b.net, b.tax, b.line_total) == (
        D("10.00"),
        D("1.25"),
        D("8.75"),
        D("1.75"),
        D("10.50"),
    )
    assert r.discount_total == D("5.75")
    assert r.total == D("41.06")


def test_order_discount_amount_largest_remainder_distributes_cents():
    # 0.10 over three equal nets: 0.033… each → 0.03 ×3 + 1 cent to the first
    r = compute_receipt(
        [line("1.00", "1"), line("1.00", "1"), line("1.00", "1")],
        prices_include_tax=False,
        order_discount_amount=D("0.10"),
    )
    assert [ln.order_discount for ln in r.lines] == [D("0.04"), D("0.03"), D("0.03")]
    assert r.discount_total == D("0.10")
    assert r.total == D("2.90")


def test_order_discount_cent_goes_to_largest_remainder_not_first_line():
    # nets 1.00, 2.00 ; discount 0.10 → exact 0.0333, 0.0667 → floors 3, 6 cents;
    # leftover 1 cent to the second line (remainder .67 > .33)
    r = compute_receipt(
        [line("1.00", "1"), line("2.00", "1")],
        prices_include_tax=False,
        order_discount_amount=D("0.10"),
    )
    assert [ln.order_discount for ln in r.lines] == [D("0.03"), D("0.07")]


def test_order_discount_percent_is_allocated_after_line_discounts():
    r = compute_receipt(
        [
            line("10.00", "1", rate="20", discount_amount="2.00"),  # net before order 8.00
            line("4.00", "3", rate="0"),  # 12.00
        ],
        prices_include_tax=True,
        order_discount_percent=D("10"),  # 10 % of 20.00 = 2.00 → 0.80 / 1.20
    )
    a, b = r.lines
    assert (a.line_discount, a.order_discount, a.discount, a.net) == (
        D("2.00"),
        D("0.80"),
        D("2.80"),
        D("7.20"),
    )
    assert a.tax == D("1.20")  # 7.20 × 20/120
    assert (b.order_discount, b.net, b.tax) == (D("1.20"), D("10.80"), D("0.00"))
    assert r.discount_total == D("4.00")
    assert r.total == D("18.00")


def test_fee_is_not_discounted_nor_taxed():
    r = compute_receipt(
        [line("2.00", "3", rate="20", fee="0.10", discount_percent="50")],
        prices_include_tax=False,
        order_discount_percent=D("100"),
    )
    (ln,) = r.lines
    assert (ln.net, ln.tax, ln.fee, ln.line_total) == (D("0.00"), D("0.00"), D("0.30"), D("0.30"))
    assert r.total == D("0.30")


def test_fee_on_fractional_quantity_is_rounded():
    r = compute_receipt([line("1.00", "1.5", fee="0.015")], prices_include_tax=True)
    assert r.lines[0].fee == D("0.02")  # 0.0225 → 0.02
    assert r.lines[0].line_total == D("1.52")


def test_zero_decimal_currency_rounds_to_whole_units():
    r = compute_receipt([line("105", "1.5", rate="10")], prices_include_tax=False, currency="JPY")
    (ln,) = r.lines
    assert (ln.gross, ln.tax, ln.line_total) == (D("158"), D("16"), D("174"))
    assert minor_unit_exponent("JPY") == 0
    assert minor_unit_exponent("eur") == 2
    assert minor_unit_exponent("KWD") == 3


def test_keys_are_returned_unchanged_and_empty_cart_totals_zero():
    r = compute_receipt([line("1", "1", key=("v", 7))], prices_include_tax=False)
    assert r.lines[0].key == ("v", 7)
    empty = compute_receipt([], prices_include_tax=False)
    assert (empty.subtotal, empty.total, empty.lines) == (D("0.00"), D("0.00"), ())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"discount_percent": "-1"},
        {"discount_percent": "100.01"},
        {"discount_amount": "-0.01"},
        {"discount_amount": "10.01"},
        {"discount_amount": "1.001"},
        {"discount_amount": "1", "discount_percent": "1"},
    ],
)
def test_invalid_line_discounts_raise_invalid_discount(kwargs):
    with pytest.raises(ReceiptError) as exc:
        compute_receipt([line("10.00", "1", **kwargs)], prices_include_tax=False)
    assert exc.value.code == "invalid_discount"
    assert exc.value.details["line"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_discount_percent": D("101")},
        {"order_discount_amount": D("10.01")},
        {"order_discount_amount": D("-1")},
        {"order_discount_amount": D("1"), "order_discount_percent": D("1")},
    ],
)
def test_invalid_order_discounts_raise_invalid_discount(kwargs):
    with pytest.raises(ReceiptError) as exc:
        compute_receipt([line("10.00", "1")], prices_include_tax=False, **kwargs)
    assert exc.value.code == "invalid_discount"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"qty": "0"}, "invalid_quantity"),
        ({"qty": "-1"}, "invalid_quantity"),
        ({"price": "-1"}, "invalid_price"),
        ({"fee": "-1"}, "invalid_price"),
        ({"rate": "-5"}, "invalid_tax_rate"),
    ],
)
def test_invalid_lines_raise_coded_errors(kwargs, code):
    args = {"price": "1", "qty": "1"} | kwargs
    with pytest.raises(ReceiptError) as exc:
        compute_receipt([line(**args)], prices_include_tax=False)
    assert exc.value.code == code


def test_floats_are_refused():
    with pytest.raises(TypeError):
        compute_receipt([ReceiptLineInput(unit_price=1.1, qty=D("1"))], prices_include_tax=False)


def test_prorate_refund_last_return_takes_exact_remainder():
    amounts = {"net": D("10.00"), "tax": D("1.67")}
    first = prorate_refund(amounts, D("3"), D("0"), D("1"))
    second = prorate_refund(amounts, D("3"), D("1"), D("1"))
    last = prorate_refund(amounts, D("3"), D("2"), D("1"))
    assert first == {"net": D("3.33"), "tax": D("0.56")}
    assert second == {"net": D("3.34"), "tax": D("0.55")}
    assert last == {"net": D("3.33"), "tax": D("0.56")}
    assert sum(p["net"] for p in (first, second, last)) == D("10.00")
    assert sum(p["tax"] for p in (first, second, last)) == D("1.67")


def test_prorate_refund_refuses_returning_more_than_remains():
    with pytest.raises(ReceiptError) as exc:
        prorate_refund({"net": D("1")}, D("2"), D("1.5"), D("0.501"))
    assert exc.value.code == "invalid_quantity"
    assert exc.value.details["returnable_qty"] == "0.5"
    with pytest.raises(ReceiptError):
        prorate_refund({"net": D("1")}, D("2"), D("0"), D("0"))


def test_refund_line_amounts_are_consistent_like_a_receipt_line():
    r = refund_line_amounts(
        gross=D("29.97"),
        discount=D("4.50"),
        tax=D("5.09"),
        fee=D("0.30"),
        prices_include_tax=False,
        sold_qty=D("3"),
        already_returned_qty=D("0"),
        return_qty=D("1"),
    )
    assert (r.gross, r.discount, r.net, r.tax, r.fee) == (
        D("9.99"),
        D("1.50"),
        D("8.49"),
        D("1.70"),
        D("0.10"),
    )
    assert r.line_total == r.net + r.tax + r.fee


# ---------------------------------------------------------------- properties

prices = st.decimals(min_value=D("0"), max_value=D("9999.9999"), places=4)
tiny_prices = st.sampled_from([D("0.001"), D("0.0049"), D("0.005"), D("0.01"), D("0.3333")])
quantities = st.decimals(min_value=D("0.001"), max_value=D("500"), places=3)
int_quantities = st.integers(min_value=1, max_value=50).map(D)
rates = st.sampled_from([D("0"), D("5"), D("7.5"), D("8.25"), D("10"), D("20"), D("21")])
fees = st.sampled_from([D("0"), D("0.10"), D("0.015"), D("0.25")])
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@st.composite
def cart_lines(draw, max_lines=12):
    n = draw(st.integers(min_value=1, max_value=max_lines))
    out = []
    for i in range(n):
        price = draw(st.one_of(prices, tiny_prices))
        qty = draw(st.one_of(quantities, int_quantities))
        gross = round_money(price * qty)
        kind = draw(st.sampled_from(["none", "percent", "amount"]))
        kw = {}
        if kind == "percent":
            kw["discount_percent"] = draw(percents)
        elif kind == "amount":
            cents = draw(st.integers(min_value=0, max_value=int(gross * 100)))
            kw["discount_amount"] = D(cents) / 100
        out.append(
            ReceiptLineInput(
                unit_price=price,
                qty=qty,
                tax_rate=draw(rates),
                fee_per_unit=draw(fees),
                key=i,
                **kw,
            )
        )
    return out


@st.composite
def carts(draw):
    lines = draw(cart_lines())
    base = compute_receipt(lines, prices_include_tax=False)
    nets = sum(ln.net for ln in base.lines)
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    kw = {}
    if kind == "percent":
        kw["order_discount_percent"] = draw(percents)
    elif kind == "amount":
        kw["order_discount_amount"] = D(draw(st.integers(0, int(nets * 100)))) / 100
    return lines, kw


@settings(max_examples=100, deadline=None)
@given(cart=carts(), inclusive=st.booleans())
def test_receipt_totals_equal_the_sums_of_its_lines(cart, inclusive):
    lines, kw = cart
    r = compute_receipt(lines, prices_include_tax=inclusive, **kw)
    assert r.subtotal == sum(ln.gross for ln in r.lines)
    assert r.discount_total == sum(ln.discount for ln in r.lines)
    assert r.tax_total == sum(ln.tax for ln in r.lines)
    assert r.total == sum(ln.line_total for ln in r.lines)
    for ln in r.lines:
        assert ln.net == ln.gross - ln.discount
        assert ln.discount == ln.line_discount + ln.order_discount
        assert D("0") <= ln.net <= ln.gross
        assert ln.tax >= 0
        for value in (ln.gross, ln.discount, ln.net, ln.tax, ln.fee, ln.line_total):
            assert value == value.quantize(D("0.01"))
        if inclusive:
            assert ln.net == ln.line_total - ln.fee
            assert ln.tax <= ln.net
        else:
            assert ln.line_total == ln.net + ln.tax + ln.fee


@settings(max_examples=100, deadline=None)
@given(cart=carts(), inclusive=st.booleans())
def test_order_discount_allocation_sums_exactly_to_the_order_discount(cart, inclusive):
    lines, kw = cart
    r = compute_receipt(lines, prices_include_tax=inclusive, **kw)
    allocated = sum(ln.order_discount for ln in r.lines)
    nets_before = sum(ln.gross - ln.line_discount for ln in r.lines)
    if "order_discount_amount" in kw:
        assert allocated == kw["order_discount_amount"]
    elif "order_discount_percent" in kw:
        assert allocated == round_money(nets_before * kw["order_discount_percent"] / 100)
    else:
        assert allocated == 0
    for ln in r.lines:
        assert 0 <= ln.order_discount <= ln.gross - ln.line_discount


@settings(max_examples=100, deadline=None)
@given(
    total_cents=st.integers(0, 10**7),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=30),
)
def test_largest_remainder_allocation_is_exact_and_close_to_pro_rata(total_cents, weights):
    assume(sum(weights) > 0)
    total_cents = min(total_cents, sum(weights))
    w = [D(x) / 100 for x in weights]
    total = D(total_cents) / 100
    shares = allocate_largest_remainder(total, w)
    assert sum(shares) == total
    for share, weight in zip(shares, w, strict=True):
        exact = total * weight / sum(w)
        assert abs(share - exact) < D("0.01")
        assert share <= weight


@st.composite
def return_splits(draw):
    """A sold quantity and a split of it (or of part of it) into returns."""
    sold_thousandths = draw(st.integers(1, 100_000))
    parts = []
    left = sold_thousandths
    while left > 0 and len(parts) < 8:
        take = draw(st.integers(1, left))
        parts.append(take)
        left -= take
    if left > 0:
        parts.append(left)
    return D(sold_thousandths) / 1000, [D(p) / 1000 for p in parts]


@settings(max_examples=100, deadline=None)
@given(
    split=return_splits(),
    amounts=st.dictionaries(
        st.sampled_from(["gross", "discount", "tax", "fee", "line_total"]),
        st.integers(0, 10**8).map(lambda c: D(c) / 100),
        min_size=1,
    ),
)
def test_refunds_over_any_split_of_a_line_sum_to_its_amounts_exactly(split, amounts):
    sold, parts = split
    returned = D("0")
    totals = dict.fromkeys(amounts, D("0"))
    for part in parts:
        refund = prorate_refund(amounts, sold, returned, part)
        for k, v in refund.items():
            assert v >= 0
            totals[k] += v
        returned += part
    assert returned == sold
    assert totals == amounts


@settings(max_examples=80, deadline=None)
@given(cart=carts(), inclusive=st.booleans(), data=st.data())
def test_refunds_of_a_fully_returned_sale_equal_what_was_paid(cart, inclusive, data):
    lines, kw = cart
    r = compute_receipt(lines, prices_include_tax=inclusive, **kw)
    refunded = D("0")
    for ln in r.lines:
        units = int(ln.qty * 1000)
        cuts = data.draw(st.lists(st.integers(1, units), max_size=5))
        returned = D("0")
        for cut in [*sorted(cuts), units]:
            qty = D(cut) / 1000 - returned
            if qty <= 0:
                continue
            refund = refund_line_amounts(
                gross=ln.gross,
                discount=ln.discount,
                tax=ln.tax,
                fee=ln.fee,
                prices_include_tax=inclusive,
                sold_qty=ln.qty,
                already_returned_qty=returned,
                return_qty=qty,
            )
            assert refund.net == refund.gross - refund.discount
            refunded += refund.line_total
            returned += qty
        assert returned == ln.qty
    assert refunded == r.total
