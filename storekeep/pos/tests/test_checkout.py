"""checkout / quote services (SPEC §5): totals persisted, stock via the engine, constant queries."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.catalog.models import RecipeComponent
from storekeep.core.errors import (
    Conflict,
    InsufficientStock,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from storekeep.inventory.models import InventoryItem, StockLedger
from storekeep.pos.models import Payment, Register, Sale, SaleLine
from storekeep.pos.services import (
    CartLine,
    Tender,
    checkout,
    quote,
    register_session_close,
)

from .factories import ProductFactory, VariantFactory, build_world, stock

pytestmark = pytest.mark.django_db


def on_hand(world, variant):
    return InventoryItem.objects.get(
        tenant=world.tenant, location=world.store, variant=variant
    ).on_hand


def assert_ledger_parity(tenant):
    for item in InventoryItem.objects.filter(tenant=tenant):
        rows = StockLedger.objects.filter(
            tenant=tenant, location_id=item.location_id, variant_id=item.variant_id
        ).order_by("id")
        running = D("0")
        for row in rows:
            running += row.qty_delta
            assert row.balance_after == running
        assert running == item.on_hand


def test_till_checkout_persists_the_receipt_moves_stock_and_numbers_the_sale(world):
    session, _ = world.open_session()
    a, b, _ = world.variants
    result = checkout(
        tenant=world.tenant,
        register_session=session,
        actor=world.cashier.user,
        lines=[
            CartLine(variant_id=a.pk, qty=D("3")),
            CartLine(barcode=b.barcode, qty=D("1.5"), discount_percent=D("10")),
        ],
        tenders=[Tender("CASH", D("50.00"))],
    )
    sale = Sale.objects.get(pk=result.sale.pk)
    assert sale.receipt_number == "LON-T1-000001"
    assert sale.source == Sale.Source.POS
    assert sale.register_session_id == session.pk
    # 3 × 10.00 = 30.00; 1.5 × 10.00 = 15.00 − 1.50 = 13.50; incl. 20 %: 5.00 + 2.25
    assert (sale.subtotal, sale.discount_total, sale.tax_total, sale.total) == (
        D("45.00"),
        D("1.50"),
        D("7.25"),
        D("43.50"),
    )
    assert sale.change_due == D("6.50")
    lines = list(SaleLine.objects.filter(sale=sale).order_by("line_no"))
    receipt = result.receipt
    for line, priced in zip(lines, receipt.lines, strict=True):
        assert (line.gross, line.discount, line.net, line.tax, line.fee, line.line_total) == (
            priced.gross,
            priced.discount,
            priced.net,
            priced.tax,
            priced.fee,
            priced.line_total,
        )
        assert line.unit_cost == D("4.0000")
    assert sum(ln.line_total for ln in lines) == sale.total
    (payment,) = Payment.objects.filter(sale=sale)
    assert (payment.method, payment.amount, payment.tendered) == ("CASH", D("43.50"), D("50.00"))
    assert on_hand(world, a) == D("97")
    assert on_hand(world, b) == D("98.5")
    rows = StockLedger.objects.filter(tenant=world.tenant, ref_type="SALE", ref_id=str(sale.pk))
    assert sorted(r.qty_delta for r in rows) == [D("-3"), D("-1.5")]
    assert_ledger_parity(world.tenant)
    second = checkout(
        tenant=world.tenant,
        register_session=session,
        lines=[CartLine(variant_id=a.pk, qty=D("1"))],
        tenders=[Tender("CARD", D("10.00"))],
    )
    assert second.sale.receipt_number == "LON-T1-000002"
    assert Register.objects.get(pk=world.register.pk).receipt_counter == 2


def test_tax_exclusive_tenant_adds_tax_to_the_total():
    world = build_world(prices_include_tax=False)
    a = world.variants[0]
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=[CartLine(variant_id=a.pk, qty=D("2"))],
    )
    sale = result.sale
    assert (sale.subtotal, sale.tax_total, sale.total) == (D("20.00"), D("4.00"), D("24.00"))
    assert sale.receipt_number == "LON-API-000001"
    (payment,) = sale.payments.all()
    assert (payment.method, payment.amount) == ("OTHER", D("24.00"))


def test_short_stock_fails_whole_with_each_short_line_and_writes_nothing(world):
    session, _ = world.open_session()
    a, b, c = world.variants
    ledger_before = StockLedger.objects.count()
    with pytest.raises(InsufficientStock) as exc:
        checkout(
            tenant=world.tenant,
            register_session=session,
            lines=[
                CartLine(variant_id=a.pk, qty=D("101")),
                CartLine(variant_id=b.pk, qty=D("1")),
                CartLine(variant_id=c.pk, qty=D("100.001")),
            ],
            tenders=[Tender("CARD", D("2020.01"))],
        )
    assert exc.value.status_code == 409
    assert exc.value.code == "insufficient_stock"
    short = {entry["line"]: entry for entry in exc.value.details["lines"]}
    assert set(short) == {0, 2}
    assert short[0]["sku"] == a.sku and D(short[0]["requested"]) == D("101")
    assert Sale.objects.count() == 0
    assert StockLedger.objects.count() == ledger_before
    assert on_hand(world, b) == D("100")
    assert Register.objects.get(pk=world.register.pk).receipt_counter == 0


def test_price_override_needs_permission_except_for_imports(world):
    a = world.variants[0]
    line = CartLine(variant_id=a.pk, qty=D("1"), unit_price=D("7.5000"))
    with pytest.raises(PermissionDenied) as exc:
        checkout(tenant=world.tenant, location=world.store, source="API", lines=[line])
    assert exc.value.code == "price_override_forbidden"
    same_price = CartLine(variant_id=a.pk, qty=D("1"), unit_price=D("10.00"))
    assert checkout(
        tenant=world.tenant, location=world.store, source="API", lines=[same_price]
    ).sale.total == D("10.00")
    imported = checkout(
        tenant=world.tenant,
        location=world.store,
        source="IMPORT",
        external_ref="536365",
        lines=[line],
    )
    assert imported.sale.total == D("7.50")
    assert imported.sale.receipt_number == "LON-IMPORT-000001"
    managed = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=[line],
        allow_price_override=True,
    )
    assert managed.lines[0].unit_price == D("7.5000")


def test_variant_without_tax_category_is_untaxed_and_fee_is_added(world):
    product = ProductFactory(tenant=world.tenant, tax_category=None)
    bag = VariantFactory(tenant=world.tenant, product=product, price=D("0.001"), fee=D("0.05"))
    stock(world.tenant, world.store, bag, "1000")
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        source="IMPORT",
        lines=[CartLine(variant_id=bag.pk, qty=D("12"))],
    )
    (line,) = result.lines
    assert (line.gross, line.tax, line.fee, line.line_total) == (
        D("0.01"),
        D("0.00"),
        D("0.60"),
        D("0.61"),
    )


def test_external_ref_is_unique_per_tenant(world):
    a = world.variants[0]
    checkout(
        tenant=world.tenant,
        location=world.store,
        source="IMPORT",
        external_ref="X1",
        lines=[CartLine(variant_id=a.pk, qty=D("1"))],
    )
    with pytest.raises(Conflict) as exc:
        checkout(
            tenant=world.tenant,
            location=world.store,
            source="IMPORT",
            external_ref="X1",
            lines=[CartLine(variant_id=a.pk, qty=D("1"))],
        )
    assert exc.value.code == "duplicate"
    assert on_hand(world, a) == D("99")


def test_completed_at_backdates_the_sale_and_its_ledger_rows(world):
    from datetime import UTC, datetime

    when = datetime(2011, 1, 4, 10, 0, tzinfo=UTC)
    a = world.variants[0]
    sale = checkout(
        tenant=world.tenant,
        location=world.store,
        source="IMPORT",
        lines=[CartLine(variant_id=a.pk, qty=D("1"))],
        completed_at=when,
    ).sale
    assert Sale.objects.get(pk=sale.pk).completed_at == when
    row = StockLedger.objects.get(ref_type="SALE", ref_id=str(sale.pk))
    assert row.created_at == when


def test_recipe_parent_deducts_its_components(world):
    a, b, _ = world.variants
    kit = VariantFactory(tenant=world.tenant, price=D("25.00"))
    RecipeComponent.objects.create(tenant=world.tenant, parent=kit, component=a, qty=D("2"))
    RecipeComponent.objects.create(tenant=world.tenant, parent=kit, component=b, qty=D("0.5"))
    sale = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=[CartLine(variant_id=kit.pk, qty=D("2"))],
    ).sale
    assert on_hand(world, a) == D("96")
    assert on_hand(world, b) == D("99")
    rows = StockLedger.objects.filter(ref_id=str(sale.pk))
    assert {r.ref_type for r in rows} == {"RECIPE_CONSUMPTION"}
    line = SaleLine.objects.get(sale=sale)
    assert line.unit_cost == D("10.0000")  # 2 × 4.00 + 0.5 × 4.00
    assert_ledger_parity(world.tenant)


def test_closed_session_cannot_sell(world):
    session, _ = world.open_session()
    register_session_close(session=session, counted_cash=D("100"), actor=world.cashier.user)
    with pytest.raises(InvalidState) as exc:
        checkout(
            tenant=world.tenant,
            register_session=session,
            lines=[CartLine(variant_id=world.variants[0].pk, qty=D("1"))],
            tenders=[Tender("CASH", D("10"))],
        )
    assert exc.value.code == "session_closed"
    assert Sale.objects.count() == 0


@pytest.mark.parametrize(
    ("tenders", "code"),
    [
        ([], "insufficient_payment"),
        ([("CASH", "9.99")], "insufficient_payment"),
        ([("CARD", "10.01")], "invalid_tender"),
        ([("CHEQUE", "10.00")], "invalid_tender"),
        ([("CASH", "-1")], "invalid_tender"),
        ([("CASH", "10.001")], "invalid_tender"),
    ],
)
def test_till_tenders_must_cover_the_total(world, tenders, code):
    session, _ = world.open_session()
    with pytest.raises(ValidationFailed) as exc:
        checkout(
            tenant=world.tenant,
            register_session=session,
            lines=[CartLine(variant_id=world.variants[0].pk, qty=D("1"))],
            tenders=[Tender(m, D(a)) for m, a in tenders],
        )
    assert exc.value.code == code
    assert Sale.objects.count() == 0


def test_split_tender_gives_change_from_cash_only(world):
    session, _ = world.open_session()
    result = checkout(
        tenant=world.tenant,
        register_session=session,
        lines=[CartLine(variant_id=world.variants[0].pk, qty=D("3"))],
        tenders=[Tender("CARD", D("20.00")), Tender("CASH", D("20.00"))],
    )
    assert result.change_due == D("10.00")
    assert [(p.method, p.amount) for p in result.payments] == [
        ("CARD", D("20.00")),
        ("CASH", D("10.00")),
    ]
    assert sum(p.amount for p in result.payments) == result.sale.total


def test_unknown_and_foreign_variants_are_404(world):
    other = build_world(n_variants=1)
    with pytest.raises(NotFound) as exc:
        quote(
            tenant=world.tenant,
            lines=[
                CartLine(variant_id=other.variants[0].pk, qty=D("1")),
                CartLine(barcode="nope", qty=D("1")),
            ],
        )
    assert exc.value.code == "unknown_variant"
    assert [e["line"] for e in exc.value.details["lines"]] == [0, 1]


def test_quote_prices_like_checkout_without_writing(world):
    lines = [CartLine(variant_id=v.pk, qty=D("1.25")) for v in world.variants]
    quoted = quote(tenant=world.tenant, lines=lines, order_discount_amount=D("1.00"))
    assert Sale.objects.count() == 0
    sold = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=lines,
        order_discount_amount=D("1.00"),
    )
    assert quoted.receipt.lines == sold.receipt.lines
    assert quoted.receipt.total == sold.sale.total


@pytest.mark.parametrize("register", [True, False])
def test_checkout_query_count_does_not_grow_with_lines(register):
    world = build_world(n_variants=50)
    session, _ = world.open_session()
    counts = {}
    warm = [CartLine(variant_id=world.variants[0].pk, qty=D("1"))]
    checkout(tenant=world.tenant, location=world.store, source="IMPORT", lines=warm)
    for n in (1, 10, 50):
        lines = [CartLine(variant_id=v.pk, qty=D("1")) for v in world.variants[:n]]
        with CaptureQueriesContext(connection) as ctx:
            if register:
                checkout(
                    tenant=world.tenant,
                    register_session=session,
                    lines=lines,
                    tenders=[Tender("CARD", D("10.00") * n)],
                )
            else:
                checkout(tenant=world.tenant, location=world.store, source="IMPORT", lines=lines)
        counts[n] = len(ctx.captured_queries)
    print("checkout queries", counts)
    assert counts[1] == counts[10] == counts[50], counts
    assert counts[50] <= 16, counts
