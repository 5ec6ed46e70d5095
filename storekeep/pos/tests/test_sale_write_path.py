"""Issue 12 item 7: no sale exists without its stock movement.

A ``Sale`` or ``SaleLine`` created outside the POS services (ORM, shell, fixtures) raises the
same ``OneWritePathError`` as a direct stock write, and saves nothing (SPEC §3.1).
"""

from decimal import Decimal as D

import pytest

from storekeep.inventory.models import StockLedger
from storekeep.inventory.models.stock import OneWritePathError
from storekeep.pos.models import Sale, SaleLine
from storekeep.pos.services import CartLine, Tender, checkout

from .factories import build_world

pytestmark = pytest.mark.django_db


def _bare_sale(world):
    return Sale(
        tenant=world.tenant,
        receipt_number="HAND-1",
        location=world.store,
        subtotal=D("10"),
        total=D("10"),
    )


def test_a_sale_made_with_the_orm_raises_and_saves_nothing():
    world = build_world()
    with pytest.raises(OneWritePathError):
        Sale.objects.create(
            tenant=world.tenant, receipt_number="HAND-1", location=world.store, total=D("1")
        )
    with pytest.raises(OneWritePathError):
        _bare_sale(world).save()
    with pytest.raises(OneWritePathError):
        Sale.objects.bulk_create([_bare_sale(world)])
    assert not Sale.objects.exists()


def test_sale_lines_made_with_the_orm_raise_and_save_nothing():
    world = build_world()
    line = dict(
        tenant=world.tenant,
        line_no=1,
        variant=world.variants[0],
        qty=D("1"),
        unit_price=D("10"),
        gross=D("10"),
        net=D("10"),
        line_total=D("10"),
    )
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        lines=[CartLine(variant_id=world.variants[0].pk, qty=D("1"))],
        tenders=[Tender(method="CASH", amount=D("100"))],
        actor=world.manager.user,
        source=Sale.Source.API,
    )
    sale = result.sale
    with pytest.raises(OneWritePathError):
        SaleLine.objects.create(sale=sale, **{**line, "line_no": 9})
    with pytest.raises(OneWritePathError):
        SaleLine.objects.bulk_create([SaleLine(sale=sale, **{**line, "line_no": 9})])
    assert list(sale.lines.values_list("line_no", flat=True)) == [1]


def test_the_pos_services_still_write_sales_with_their_ledger_rows_and_may_update_them():
    world = build_world()
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        lines=[CartLine(variant_id=world.variants[0].pk, qty=D("2"))],
        tenders=[Tender(method="CASH", amount=D("100"))],
        actor=world.manager.user,
        source=Sale.Source.API,
    )
    sale = Sale.objects.get(pk=result.sale.pk)
    assert StockLedger.objects.filter(ref_type="SALE", ref_id=str(sale.pk)).count() == 1
    sale.customer_ref = "loyalty-42"
    sale.save(update_fields=["customer_ref"])  # an existing row may change (void, notes)
    assert Sale.objects.get(pk=sale.pk).customer_ref == "loyalty-42"
