"""The ledger lists newest first by ``created_at`` (then id), read through the
``(tenant, created_at, id)`` index from its date bound (SPEC §9, §10)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from storekeep.inventory.selectors import ledger_list
from storekeep.inventory.services import ReceiptLine, receive_stock

LEDGER = "/api/v1/inventory/ledger"


@pytest.mark.django_db
def test_a_backdated_movement_is_listed_at_its_time_not_its_insertion(
    manager_client, tenant, variant, store
):
    receive_stock(tenant=tenant, location_id=store.pk, lines=[ReceiptLine(variant.pk, Decimal(2))])
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal(1))],
        occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    rows = manager_client.get(LEDGER).json()["results"]
    assert [r["qty_delta"] for r in rows] == ["2.000", "1.000"]
    page = manager_client.get(LEDGER, {"page_size": 1}).json()
    assert manager_client.get(page["next"]).json()["results"][0]["qty_delta"] == "1.000"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_date_bounded_page_reads_the_time_index_from_its_bound(tenant, variant, store):
    receive_stock(tenant=tenant, location_id=store.pk, lines=[ReceiptLine(variant.pk, Decimal(2))])
    queryset = ledger_list(
        tenant=tenant, filters={"date_from": "2020-01-01", "date_to": "2030-12-31"}
    ).order_by("-created_at", "-id")[:101]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET ALL")
    assert "ledger_tenant_time_id_idx" in plan, plan


@pytest.mark.django_db
def test_ledger_rows_are_what_the_row_serializer_writes(manager_client, tenant, variant, store):
    from storekeep.inventory.api.serializers import LedgerRowSerializer
    from storekeep.inventory.models import StockLedger
    from storekeep.inventory.services import AdjustmentLine, adjust_stock

    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal("3"), unit_cost=Decimal("1.2345"))],
    )
    adjust_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[AdjustmentLine(variant.pk, delta=Decimal("-1"))],
        reason="damage",
        note="dropped",
    )
    rows = manager_client.get(LEDGER).json()["results"]
    objects = StockLedger.objects.filter(tenant=tenant).order_by("-created_at", "-id")
    assert rows == LedgerRowSerializer(objects, many=True).data
