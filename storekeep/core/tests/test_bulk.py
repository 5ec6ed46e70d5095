"""core.bulk: the hot-path writers and the row factory give what the ORM gives."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from storekeep.core.bulk import RowFactory, insert_rows, update_rows
from storekeep.inventory.models import LedgerRefType, StockLedger
from storekeep.inventory.models.stock import ENGINE_WRITE

pytestmark = pytest.mark.django_db


def _values(obj):
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def test_row_factory_builds_what_the_constructor_builds(tenant, store, variant):
    when = datetime(2011, 1, 4, 10, 30, tzinfo=UTC)
    kwargs = dict(
        tenant=tenant,
        location_id=store.pk,
        variant_id=variant.pk,
        lot=None,
        ref_type=LedgerRefType.SALE,
        ref_id="42",
        qty_delta=D("-2"),
        balance_after=D("8"),
        unit_cost=D("1.2500"),
        created_at=when,
    )
    built, plain = RowFactory(StockLedger)(**kwargs), StockLedger(**kwargs)
    assert _values(built) == _values(plain)
    assert built.tenant is tenant and built.lot is None
    assert built._state.adding and built._state.db is None
    # A callable default (created_at=timezone.now) is called when not given.
    assert RowFactory(StockLedger)(
        tenant=tenant, location_id=store.pk, variant_id=variant.pk
    ).created_at
    with pytest.raises(TypeError):
        RowFactory(StockLedger)(tenant=tenant, no_such_field=1)


def test_insert_rows_and_update_rows_write_what_the_orm_reads_back(tenant, store, variant):
    factory = RowFactory(StockLedger)
    rows = [
        factory(
            tenant=tenant,
            location_id=store.pk,
            variant_id=variant.pk,
            ref_type=LedgerRefType.RECEIPT,
            ref_id=f"r{i}",
            qty_delta=D(i + 1),
            balance_after=D(i + 1),
            note=f'it\'s "row" {i}, {{x}}',
            created_at=datetime(2011, 1, 4, 10, i, tzinfo=UTC),
        )
        for i in range(3)
    ]
    token = ENGINE_WRITE.set(True)
    try:
        insert_rows(StockLedger, rows)
    finally:
        ENGINE_WRITE.reset(token)
    assert all(row.pk and not row._state.adding for row in rows)
    stored = {row.pk: row for row in StockLedger.objects.filter(tenant=tenant)}
    for row in rows:
        assert _values(stored[row.pk]) == _values(row)


def test_update_rows_writes_only_the_named_fields(tenant, store):
    store.name, store.address = 'Renamed, "quoted"', "not written"
    update_rows(type(store), [store], ["name"])
    store.refresh_from_db()
    assert store.name == 'Renamed, "quoted"'
    assert store.address != "not written"
