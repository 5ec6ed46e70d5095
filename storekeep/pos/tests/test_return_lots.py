"""Returned perishables keep their dates (issue 12 item 8): a restocked return of a lot-tracked
item goes back into the lot it was sold from (same code and expiry), as a void does, through
both return paths (draft + finalize, and return_process) and over the API."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from storekeep.inventory.models import Lot, StockLedger
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.pos.services import (
    CartLine,
    ReturnLineInput,
    checkout,
    return_create,
    return_finalize,
    return_process,
)

from .factories import ProductFactory, VariantFactory, bearer
from .test_checkout import assert_ledger_parity

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + timedelta(days=3)
LATER = timezone.localdate() + timedelta(days=9)


@pytest.fixture
def yoghurt(world):
    variant = VariantFactory(
        tenant=world.tenant,
        product=ProductFactory(tenant=world.tenant, tax_category=world.vat),
        track_lots=True,
        price=D("2.00"),
    )
    for code, qty, expiry in (("Y-SOON", "2", SOON), ("Y-LATER", "5", LATER)):
        receive_stock(
            tenant=world.tenant,
            location_id=world.store.pk,
            lines=[
                ReceiptLine(
                    variant_id=variant.pk,
                    qty=D(qty),
                    unit_cost=D("0.80"),
                    lot_code=code,
                    expiry_date=expiry,
                )
            ],
        )
    return variant


def sold(world, variant, qty="4"):
    result = checkout(
        tenant=world.tenant,
        location=world.store,
        source="API",
        lines=[CartLine(variant_id=variant.pk, qty=D(qty))],
    )
    return result.sale, result.lines[0]


def lots(world):
    return dict(Lot.objects.filter(tenant=world.tenant).values_list("lot_code", "qty"))


def return_rows(ret):
    rows = StockLedger.objects.filter(tenant=ret.tenant, ref_type="RETURN", ref_id=str(ret.pk))
    return sorted((r.lot.lot_code, r.lot.expiry_date, r.qty_delta) for r in rows)


def test_draft_then_finalize_refills_the_sold_lots(world, yoghurt):
    sale, line = sold(world, yoghurt)  # FEFO: 2 from Y-SOON, 2 from Y-LATER
    assert lots(world) == {"Y-SOON": D("0"), "Y-LATER": D("3")}
    first = return_create(
        tenant=world.tenant,
        sale_id=sale.pk,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=line.pk)],
    )
    return_finalize(tenant=world.tenant, return_id=first.pk)
    assert return_rows(first) == [("Y-SOON", SOON, D("1"))]
    second = return_process(
        tenant=world.tenant,
        sale_id=sale.pk,
        lines=[ReturnLineInput(qty=D("2"), sale_line_id=line.pk)],
    )
    assert return_rows(second) == [("Y-LATER", LATER, D("1")), ("Y-SOON", SOON, D("1"))]
    assert lots(world) == {"Y-SOON": D("2"), "Y-LATER": D("4")}
    assert_ledger_parity(world.tenant)


def test_a_discarded_line_refills_nothing(world, yoghurt):
    sale, line = sold(world, yoghurt, "1")
    ret = return_process(
        tenant=world.tenant,
        sale_id=sale.pk,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=line.pk, disposition="DISCARD")],
    )
    assert return_rows(ret) == []
    assert lots(world) == {"Y-SOON": D("1"), "Y-LATER": D("5")}


def test_a_return_over_the_api_keeps_the_lot(world, yoghurt):
    sale, line = sold(world, yoghurt, "2")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=bearer(world.manager))
    response = api.post(
        "/api/v1/pos/returns",
        {
            "sale_id": sale.pk,
            "refund_method": "CASH",
            "lines": [{"sale_line_id": line.pk, "qty": "2", "disposition": "RESTOCK"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    response = api.post(f"/api/v1/pos/returns/{response.json()['return_id']}/finalize")
    assert response.status_code == 200, response.content
    assert lots(world) == {"Y-SOON": D("2"), "Y-LATER": D("5")}
    assert not Lot.objects.filter(tenant=world.tenant, expiry_date__isnull=True).exists()
