"""``core.db.analyze_tables`` after a bulk load (issue 11 item 1)."""

import pytest
from django.db import connection

from storekeep.core.db import analyze_tables
from storekeep.inventory.models import StockLedger


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_postgresql_vacuums_so_reports_can_scan_indexes_only(
    stock, variant, store
):
    for qty in range(1, 40):
        stock(variant, store, qty)
    table = StockLedger._meta.db_table
    assert analyze_tables([StockLedger]) == [table]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples, relallvisible FROM pg_class WHERE relname = %s", [table])
        reltuples, all_visible = cursor.fetchone()
    assert reltuples == StockLedger.objects.count()
    assert all_visible > 0  # VACUUM set the visibility map; a plain ANALYZE leaves it at 0


@pytest.mark.django_db
def test_inside_a_transaction_it_analyzes(stock, variant, store):
    stock(variant, store, 3)
    assert analyze_tables([StockLedger, StockLedger]) == [StockLedger._meta.db_table]
