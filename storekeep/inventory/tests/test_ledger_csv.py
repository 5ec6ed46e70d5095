"""The ledger CSV: PostgreSQL formats the rows (``COPY``) with the bytes the Python path writes
(issue 11 item 3); on SQLite both are the Python path."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storekeep.core.csv import stream_csv, stream_values
from storekeep.inventory.api.ledger import LEDGER_CSV_FIELDS
from storekeep.inventory.api.serializers import LEDGER_COLUMNS
from storekeep.inventory.models import StockLedger
from storekeep.inventory.selectors import ledger_list
from storekeep.testing import factories

pytestmark = pytest.mark.django_db

LEDGER = "/api/v1/inventory/ledger"


@pytest.fixture
def awkward_rows(tenant, store, variant):
    """Rows with None, empty and quoted/multi-line text, negative decimals and timestamps with
    and without microseconds."""
    other = factories.VariantFactory(tenant=tenant, sku='MUG,"RED"\nXL')
    lot_free = {"tenant": tenant, "location": store, "ref_type": "ADJUSTMENT"}
    StockLedger.objects.bulk_create(
        [
            StockLedger(
                **lot_free,
                variant=variant,
                ref_id="",
                qty_delta=Decimal("-0.125"),
                balance_after=Decimal("-12345.5"),
                unit_cost=None,
                note='said "hi", then\r\nleft',
                created_at=datetime(2011, 11, 3, 9, 5, 7, 123456, tzinfo=UTC),
            ),
            StockLedger(
                **lot_free,
                variant=other,
                ref_id="A,B",
                qty_delta=Decimal("3"),
                balance_after=Decimal("0"),
                unit_cost=Decimal("-0.0001"),
                reason="DAMAGE",
                note="",
                created_at=datetime(2011, 11, 3, 9, 5, 7, tzinfo=UTC),
            ),
            StockLedger(
                **lot_free,
                variant=other,
                ref_id="x",
                qty_delta=Decimal("1000000.001"),
                balance_after=Decimal("1000003.001"),
                unit_cost=Decimal("12.5"),
                note="ünïcode ‘quotes’ \\. end\n",
                created_at=datetime(2011, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
            ),
        ]
    )


def test_copy_bytes_equal_the_python_path(tenant, awkward_rows):
    queryset = ledger_list(tenant=tenant).order_by("-created_at", "-id")
    python_path = stream_csv(
        queryset.values_list(*LEDGER_CSV_FIELDS).iterator(), LEDGER_COLUMNS, "ledger.csv"
    )
    served = stream_values(queryset, LEDGER_CSV_FIELDS, LEDGER_COLUMNS, "ledger.csv")
    expected = b"".join(python_path.streaming_content)
    assert b"".join(served.streaming_content) == expected
    assert expected.count(b"\r\n") >= 4 and b'"MUG,""RED""\nXL"' in expected
    assert b"2011-11-03T09:05:07.123456Z" in expected and b",2011-11-03T09:05:07Z" in expected


def test_ledger_csv_endpoint_filters_and_formats(tenant, viewer_client, awkward_rows):
    response = viewer_client.get(f"{LEDGER}?format=csv&date_from=2011-11-01&date_to=2011-11-30")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    lines = body.split(b"\r\n")
    assert lines[0] == ",".join(LEDGER_COLUMNS).encode()
    assert b"1000000.001" not in body  # December's row is outside the range
    assert b"-0.125,-12345.500,," in body and b",-0.0001,DAMAGE,," in body
