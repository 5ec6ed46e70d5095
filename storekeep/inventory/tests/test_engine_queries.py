"""SPEC §4: multi-line operations issue a number of queries that does not grow with the lines."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storekeep.catalog.models import RecipeComponent
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    receive_stock,
    record_sale,
    write_off,
)
from storekeep.testing import factories

from .helpers import D, assert_invariants

SIZES = (1, 10, 50)


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.fixture
def catalog(tenant):
    return [factories.VariantFactory(tenant=tenant) for _ in range(max(SIZES))]


@pytest.fixture
def lot_catalog(tenant):
    return [factories.VariantFactory(tenant=tenant, track_lots=True) for _ in range(max(SIZES))]


def _receive(tenant, location, variants, qty="100", **kw):
    return receive_stock(
        tenant=tenant,
        location_id=location.pk,
        lines=[
            ReceiptLine(variant_id=v.pk, qty=D(qty), unit_cost=D("1.5"), **kw) for v in variants
        ],
    )


def test_receipts_creating_items_take_a_constant_number_of_queries(tenant, catalog):
    locations = [factories.LocationFactory(tenant=tenant) for _ in SIZES]
    counts = {
        n: _count(lambda n=n, loc=loc: _receive(tenant, loc, catalog[:n]))
        for n, loc in zip(SIZES, locations, strict=True)
    }
    assert len(set(counts.values())) == 1, counts
    assert counts[1] <= 10, counts  # incl. the SAVEPOINT pair around item creation


@pytest.mark.parametrize(
    "operation", ["receive", "sale", "adjust_delta", "adjust_absolute", "write_off"]
)
def test_operations_on_existing_items_take_the_same_queries_for_1_10_50_lines(
    operation, tenant, store, catalog
):
    _receive(tenant, store, catalog)
    calls = {
        "receive": lambda vs: _receive(tenant, store, vs, qty="1"),
        "sale": lambda vs: record_sale(
            tenant=tenant,
            location_id=store.pk,
            ref_id="S",
            lines=[StockLine(variant_id=v.pk, qty=D("1")) for v in vs],
        ),
        "adjust_delta": lambda vs: adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="correction",
            lines=[AdjustmentLine(variant_id=v.pk, delta=D("-1")) for v in vs],
        ),
        "adjust_absolute": lambda vs: adjust_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="correction",
            lines=[AdjustmentLine(variant_id=v.pk, on_hand=D("50")) for v in vs],
        ),
        "write_off": lambda vs: write_off(
            tenant=tenant,
            location_id=store.pk,
            reason="damage",
            lines=[StockLine(variant_id=v.pk, qty=D("1")) for v in vs],
        ),
    }
    counts = {n: _count(lambda n=n: calls[operation](catalog[:n])) for n in SIZES}
    assert len(set(counts.values())) == 1, counts
    assert counts[1] <= 6, counts
    assert_invariants(tenant)


def test_lot_tracked_sales_and_recipe_sales_take_the_same_queries_for_any_size(
    tenant, store, catalog, lot_catalog
):
    expiry = timezone.localdate() + timedelta(days=5)
    _receive(tenant, store, lot_catalog, lot_code="A", expiry_date=expiry)
    _receive(tenant, store, lot_catalog, lot_code="B", expiry_date=expiry + timedelta(days=1))
    _receive(tenant, store, catalog)
    kits = []
    for component in catalog:
        kit = factories.VariantFactory(tenant=tenant)
        RecipeComponent.objects.create(tenant=tenant, parent=kit, component=component, qty=D("2"))
        kits.append(kit)

    def sell(variants, qty):
        return record_sale(
            tenant=tenant,
            location_id=store.pk,
            ref_id="S",
            lines=[StockLine(variant_id=v.pk, qty=D(qty)) for v in variants],
        )

    # 150 spans both lots of each variant: 2 ledger rows per line. (SQLite caps a statement at 999
    # parameters, so beyond ~70 ledger rows Django splits the bulk insert there; PostgreSQL does not.)
    lot_counts = {
        n: _count(lambda n=n, vs=vs: sell(vs, "150"))
        for n, vs in ((1, lot_catalog[:1]), (10, lot_catalog[1:11]), (25, lot_catalog[11:36]))
    }
    kit_counts = {n: _count(lambda n=n: sell(kits[:n], "1")) for n in SIZES}
    assert len(set(lot_counts.values())) == 1, lot_counts
    assert len(set(kit_counts.values())) == 1, kit_counts
    assert_invariants(tenant)
