"""``inventory_check --by-ref-type`` compares each ref type's ledger total with the documents
behind it (issue 15 item 4): sales, voids, returns, recipes, transfers, reservations."""

from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from storekeep.catalog.models import RecipeComponent
from storekeep.inventory.document_checks import expected_ledger_totals
from storekeep.inventory.services import StockLine, confirm_reservation, record_sale, reserve_stock
from storekeep.inventory.services.transfers import (
    TransferLineInput,
    TransferReceiveLine,
    transfer_create,
    transfer_receive,
    transfer_send,
)
from storekeep.pos.services import (
    CartLine,
    ReturnLineInput,
    Tender,
    checkout,
    return_process,
    sale_void,
)
from storekeep.testing import factories

from .factories import VariantFactory


def _documented_day(world):
    session, _ = world.open_session()
    a, b, c = world.variants
    kit = VariantFactory(tenant=world.tenant, sku="KIT")
    RecipeComponent.objects.create(tenant=world.tenant, parent=kit, component=a, qty=D("2"))
    RecipeComponent.objects.create(tenant=world.tenant, parent=kit, component=b, qty=D("0.5"))

    def sell(*lines):
        return checkout(
            tenant=world.tenant,
            register_session=session,
            actor=world.cashier.user,
            lines=list(lines),
            tenders=[Tender("CASH", D("500.00"))],
        )

    sell(CartLine(variant_id=a.pk, qty=D("3")), CartLine(variant_id=kit.pk, qty=D("1")))
    voided = sell(CartLine(variant_id=b.pk, qty=D("2")))
    sale_void(tenant=world.tenant, sale_id=voided.sale.pk, register_session=session)
    returned = sell(CartLine(variant_id=c.pk, qty=D("4")))
    return_process(
        tenant=world.tenant,
        sale_id=returned.sale.pk,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=returned.sale.lines.get().pk)],
    )
    warehouse = factories.LocationFactory(tenant=world.tenant, code="WH")
    transfer = transfer_create(
        tenant=world.tenant,
        from_location_id=world.store.pk,
        to_location_id=warehouse.pk,
        lines=[TransferLineInput(c.pk, D("5"))],
    )
    transfer_send(tenant=world.tenant, transfer_id=transfer.pk)
    transfer_receive(
        tenant=world.tenant, transfer_id=transfer.pk, lines=[TransferReceiveLine(c.pk, D("3"))]
    )
    reservation = reserve_stock(
        tenant=world.tenant, location_id=world.store.pk, variant_id=a.pk, qty=D("1")
    )
    confirm_reservation(tenant=world.tenant, reservation_id=reservation.pk)


def test_documents_imply_the_ledger_totals(world, capsys):
    _documented_day(world)
    expected = expected_ledger_totals(tenant=world.tenant)
    assert expected["SALE"] == D("-9")  # 3 of a, 2 of b (voided later), 4 of c
    assert expected["RECIPE_CONSUMPTION"] == D("-2.5")  # the kit: 2 of a, 0.5 of b
    assert expected["VOID"] == D("2")
    assert expected["RETURN"] == D("1")
    assert (expected["TRANSFER_OUT"], expected["TRANSFER_IN"]) == (D("-5"), D("3"))
    assert expected["RESERVATION_CONFIRM"] == D("-1")
    call_command("inventory_check", "--by-ref-type", "--tenant", world.tenant.slug)
    out = capsys.readouterr().out
    for ref_type in ("SALE", "RECIPE_CONSUMPTION", "VOID", "RETURN", "TRANSFER_IN"):
        assert any(line.startswith(ref_type) and line.endswith("ok") for line in out.splitlines())
    assert "REF_TYPE_MISMATCH" not in out and "inventory_check: OK" in out


def test_a_sale_row_without_its_document_fails_the_check(world, capsys):
    _documented_day(world)
    a = world.variants[0]
    record_sale(
        tenant=world.tenant,
        location_id=world.store.pk,
        ref_id="no-such-sale",
        lines=[StockLine(variant_id=a.pk, qty=D("1"))],
    )
    with pytest.raises(CommandError, match="1 ref types differing"):
        call_command("inventory_check", "--by-ref-type", "--tenant", world.tenant.slug)
    out = capsys.readouterr().out
    assert "REF_TYPE_MISMATCH SALE" in out and "documents=-9" in out
    # without --by-ref-type the parity check alone still passes
    call_command("inventory_check", "--tenant", world.tenant.slug)
