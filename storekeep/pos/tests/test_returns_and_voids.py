"""sale_void, return_create / return_finalize / return_process (SPEC §5)."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.core.errors import Conflict, InvalidState, PermissionDenied
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.pos.models import Return, ReturnLine, Sale, SaleLine
from storekeep.pos.services import (
    CartLine,
    ReturnLineInput,
    Tender,
    checkout,
    register_session_close,
    return_create,
    return_finalize,
    return_process,
    sale_void,
)

from .factories import build_world
from .test_checkout import assert_ledger_parity

pytestmark = pytest.mark.django_db


def on_hand(world, variant):
    return InventoryItem.objects.get(
        tenant=world.tenant, location=world.store, variant=variant
    ).on_hand


def sell(world, session=None, lines=None, **kw):
    a, b, _ = world.variants
    lines = lines or [
        CartLine(variant_id=a.pk, qty=D("3"), discount_percent=D("15")),
        CartLine(variant_id=b.pk, qty=D("2")),
    ]
    if session is not None:
        return checkout(
            tenant=world.tenant,
            register_session=session,
            lines=lines,
            tenders=[Tender("CASH", D("1000"))],
            **kw,
        )
    return checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=lines,
        order_discount_amount=D("0.10"),
        **kw,
    )


# ----------------------------------------------------------------------- voids


def test_void_restores_stock_with_void_rows_exactly_once(world):
    session, _ = world.open_session()
    result = sell(world, session)
    a = world.variants[0]
    assert on_hand(world, a) == D("97")
    sale, applied = sale_void(
        tenant=world.tenant,
        sale_id=result.sale.pk,
        actor=world.cashier.user,
        register_session=session,
    )
    assert applied and sale.status == Sale.Status.VOIDED
    again, applied_again = sale_void(
        tenant=world.tenant, sale_id=result.sale.pk, register_session=session
    )
    assert not applied_again and again.status == Sale.Status.VOIDED
    assert on_hand(world, a) == D("100")
    rows = StockLedger.objects.filter(ref_type="VOID", ref_id=str(result.sale.pk))
    assert sorted(r.qty_delta for r in rows) == [D("2"), D("3")]
    assert_ledger_parity(world.tenant)


def test_void_refused_from_another_session_after_close_or_after_returns(world):
    session, _ = world.open_session()
    result = sell(world, session)
    other = sell(world)  # an API sale, no session
    with pytest.raises(InvalidState) as exc:
        sale_void(tenant=world.tenant, sale_id=other.sale.pk, register_session=session)
    assert exc.value.code == "sale_not_voidable"
    ret = return_process(
        tenant=world.tenant,
        sale_id=other.sale.pk,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=other.lines[0].pk)],
    )
    assert ret.status == Return.Status.FINALIZED
    with pytest.raises(InvalidState):
        sale_void(tenant=world.tenant, sale_id=other.sale.pk)
    register_session_close(session=session, counted_cash=D("0"), actor=None)
    with pytest.raises(InvalidState):
        sale_void(tenant=world.tenant, sale_id=result.sale.pk)
    assert Sale.objects.get(pk=result.sale.pk).status == Sale.Status.COMPLETED


# --------------------------------------------------------------------- returns


def test_partial_returns_prorate_and_the_last_takes_the_exact_remainder(world):
    result = sell(world)
    line = result.lines[0]  # 3 × 10.00, 15 % off, share of the order discount
    paid = SaleLine.objects.get(pk=line.pk)
    refunds = []
    for qty in ("1", "1", "1"):
        ret = return_process(
            tenant=world.tenant,
            sale_id=result.sale.pk,
            reason="changed mind",
            lines=[ReturnLineInput(qty=D(qty), sale_line_id=line.pk)],
        )
        (rl,) = ret._prefetched_lines
        refunds.append(rl)
    assert sum(r.refund_total for r in refunds) == paid.line_total
    assert sum(r.refund_tax for r in refunds) == paid.tax
    assert sum(r.refund_discount for r in refunds) == paid.discount
    assert abs(refunds[0].refund_total - paid.line_total / 3) < D("0.02")
    assert SaleLine.objects.get(pk=line.pk).qty_returned == D("3")
    assert on_hand(world, world.variants[0]) == D("100")
    with pytest.raises(Conflict) as exc:
        return_create(
            tenant=world.tenant,
            sale_id=result.sale.pk,
            lines=[ReturnLineInput(qty=D("0.001"), sale_line_id=line.pk)],
        )
    assert exc.value.code == "return_exceeds_sold"
    assert_ledger_parity(world.tenant)


def test_full_return_of_a_sale_refunds_exactly_what_was_paid(world):
    result = sell(world)
    lines = [
        ReturnLineInput(qty=D("1.5"), variant_id=world.variants[0].pk),
        ReturnLineInput(qty=D("1.5"), variant_id=world.variants[0].pk, disposition="DISCARD"),
        ReturnLineInput(qty=D("2"), sale_line_id=result.lines[1].pk),
    ]
    ret = return_process(tenant=world.tenant, sale_id=result.sale.pk, lines=lines)
    assert ret.refund_total == result.sale.total
    assert ret.refund_tax == result.sale.tax_total
    # DISCARD writes no stock rows
    assert on_hand(world, world.variants[0]) == D("98.5")
    rows = StockLedger.objects.filter(ref_type="RETURN", ref_id=str(ret.pk))
    assert sorted(r.qty_delta for r in rows) == [D("1.5"), D("2")]


def test_return_exceeding_what_remains_is_refused_even_across_drafts(world):
    result = sell(world)
    line = result.lines[1]  # 2 sold
    first = return_create(
        tenant=world.tenant,
        sale_id=result.sale.pk,
        lines=[ReturnLineInput(qty=D("2"), sale_line_id=line.pk)],
    )
    second = return_create(
        tenant=world.tenant,
        sale_id=result.sale.pk,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=line.pk)],
    )
    _, applied = return_finalize(tenant=world.tenant, return_id=first.pk)
    assert applied
    _, applied_again = return_finalize(tenant=world.tenant, return_id=first.pk)
    assert not applied_again
    with pytest.raises(Conflict) as exc:
        return_finalize(tenant=world.tenant, return_id=second.pk)
    assert exc.value.code == "return_exceeds_sold"
    assert Return.objects.get(pk=second.pk).status == Return.Status.DRAFT
    assert on_hand(world, world.variants[1]) == D("100")


def test_return_without_receipt_needs_a_manager_and_a_price(world):
    a = world.variants[0]
    line = ReturnLineInput(qty=D("2"), variant_id=a.pk, unit_price=D("9.00"))
    with pytest.raises(PermissionDenied) as exc:
        return_create(tenant=world.tenant, location=world.store, lines=[line])
    assert exc.value.code == "receipt_required"
    ret = return_process(
        tenant=world.tenant,
        location=world.store,
        lines=[line],
        manager_approved=True,
        actor=world.manager.user,
    )
    assert ret.sale_id is None
    assert ret.refund_total == D("18.00")
    assert ret.refund_tax == D("3.00")
    assert on_hand(world, a) == D("102")


def test_voided_sale_cannot_be_returned(world):
    session, _ = world.open_session()
    result = sell(world, session)
    draft = return_create(
        tenant=world.tenant,
        sale_id=result.sale.pk,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=result.lines[0].pk)],
    )
    sale_void(tenant=world.tenant, sale_id=result.sale.pk)
    with pytest.raises(InvalidState):
        return_finalize(tenant=world.tenant, return_id=draft.pk)
    with pytest.raises(InvalidState):
        return_create(
            tenant=world.tenant,
            sale_id=result.sale.pk,
            lines=[ReturnLineInput(qty=D("1"), sale_line_id=result.lines[0].pk)],
        )


def _return_view(ret):
    lines = [
        (
            rl.sale_line.line_no if rl.sale_line_id else None,
            rl.variant_id,
            rl.qty,
            rl.disposition,
            rl.unit_price,
            rl.refund_gross,
            rl.refund_discount,
            rl.refund_net,
            rl.refund_tax,
            rl.refund_fee,
            rl.refund_total,
        )
        for rl in ReturnLine.objects.filter(ret=ret).select_related("sale_line").order_by("pk")
    ]
    ledger = sorted(
        (r.variant_id, r.qty_delta, r.unit_cost, r.balance_after)
        for r in StockLedger.objects.filter(ref_type="RETURN", ref_id=str(ret.pk))
    )
    totals = (
        ret.status,
        ret.refund_subtotal,
        ret.refund_discount,
        ret.refund_tax,
        ret.refund_total,
    )
    return totals, lines, ledger


def test_return_process_is_exactly_create_then_finalize(world):
    """One pass (return_process) and two steps give the same return, refunds and stock rows."""
    a, b, _ = world.variants
    first, second = sell(world), sell(world)
    for result in (first, second):  # an earlier partial return, so the pro rata has history
        return_process(
            tenant=world.tenant,
            sale_id=result.sale.pk,
            lines=[ReturnLineInput(qty=D("1"), sale_line_id=result.lines[0].pk)],
        )

    def request(result):
        return [
            ReturnLineInput(qty=D("1.5"), variant_id=a.pk),
            ReturnLineInput(qty=D("0.5"), sale_line_id=result.lines[0].pk, disposition="DISCARD"),
            ReturnLineInput(qty=D("2"), sale_line_id=result.lines[1].pk),
        ]

    one_pass = return_process(tenant=world.tenant, sale_id=first.sale.pk, lines=request(first))
    draft = return_create(tenant=world.tenant, sale_id=second.sale.pk, lines=request(second))
    two_steps, applied = return_finalize(tenant=world.tenant, return_id=draft.pk)
    assert applied
    one, two = (
        _return_view(Return.objects.get(pk=one_pass.pk)),
        _return_view(Return.objects.get(pk=two_steps.pk)),
    )
    assert one[0] == two[0] and one[1] == two[1]
    assert [row[:3] for row in one[2]] == [row[:3] for row in two[2]]
    assert one_pass.refund_total == first.sale.total - sum(
        r.refund_total for r in Return.objects.filter(sale=first.sale).exclude(pk=one_pass.pk)
    )
    assert list(
        SaleLine.objects.filter(sale=first.sale).order_by("line_no").values_list("qty_returned")
    ) == (
        list(
            SaleLine.objects.filter(sale=second.sale)
            .order_by("line_no")
            .values_list("qty_returned")
        )
    )
    assert_ledger_parity(world.tenant)


def test_return_process_query_count_does_not_grow_with_lines():
    world = build_world(n_variants=20)
    lines = [CartLine(variant_id=v.pk, qty=D("3")) for v in world.variants]
    counts = {}
    for n in (1, 5, 20):
        sale = checkout(tenant=world.tenant, location=world.store, source="API", lines=lines)
        request = [ReturnLineInput(qty=D("1"), sale_line_id=line.pk) for line in sale.lines[:n]]
        with CaptureQueriesContext(connection) as ctx:
            return_process(tenant=world.tenant, sale_id=sale.sale.pk, lines=request)
        counts[n] = len(ctx.captured_queries)
    print("return_process queries", counts)
    assert counts[1] == counts[5] == counts[20], counts
    assert counts[20] <= 13, counts


@pytest.mark.parametrize("one_pass", [True, False])
def test_a_used_external_ref_is_a_409_duplicate_and_writes_nothing(world, one_pass):
    result = sell(world)
    make = return_process if one_pass else return_create
    line = [ReturnLineInput(qty=D("1"), sale_line_id=result.lines[1].pk)]
    make(tenant=world.tenant, sale_id=result.sale.pk, lines=line, external_ref="RMA-1")
    before = (
        Return.objects.count(),
        ReturnLine.objects.count(),
        StockLedger.objects.count(),
        on_hand(world, world.variants[1]),
        SaleLine.objects.get(pk=result.lines[1].pk).qty_returned,
    )
    with pytest.raises(Conflict) as exc:
        make(tenant=world.tenant, sale_id=result.sale.pk, lines=line, external_ref="RMA-1")
    assert exc.value.code == "duplicate"
    after = (
        Return.objects.count(),
        ReturnLine.objects.count(),
        StockLedger.objects.count(),
        on_hand(world, world.variants[1]),
        SaleLine.objects.get(pk=result.lines[1].pk).qty_returned,
    )
    assert after == before
