"""Every list exports CSV with ``?format=csv``: one renderer (``storekeep.core.csv``), the JSON
list's columns and filters, rows streamed (SPEC §9, §10)."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.catalog.models import Category
from storekeep.core.csv import csv_cell, flatten
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.pos import services
from storekeep.pos.models import Register
from storekeep.pos.services import CartLine, Tender
from storekeep.pos.services.returns import ReturnLineInput
from storekeep.purchasing.models import Vendor
from storekeep.testing import factories
from storekeep.testing.http import csv_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(tenant, store, variant, owner_client):
    """Two variants with stock, a register, a vendor, a sale of each and a return of one."""
    other = factories.VariantFactory(tenant=tenant, sku="MUG-BLUE", price=Decimal("12.50"))
    Category.objects.create(tenant=tenant, name="Mugs")
    factories.TaxCategoryFactory(tenant=tenant)
    Register.objects.create(tenant=tenant, location=store, name="Till 1")
    Vendor.objects.create(tenant=tenant, name="Potters Ltd", code="POT")
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal("20")), ReceiptLine(other.pk, Decimal("5"))],
    )
    for item, qty in ((variant, "2"), (other, "1")):
        result = services.checkout(
            tenant=tenant,
            location=store,
            lines=[CartLine(Decimal(qty), variant_id=item.pk)],
            tenders=[Tender("CASH", Decimal("100"))],
            source="API",
        )
    services.return_process(
        tenant=tenant,
        sale_id=result.sale.pk,
        lines=[ReturnLineInput(Decimal("1"), variant_id=other.pk)],
        location=store,
        manager_approved=True,
        source="API",
    )
    return owner_client


def json_rows(client, path, params):
    body = client.get(path, {**params, "page_size": 500}).json()
    return body["results"] if isinstance(body, dict) else body


def csv_rows(client, path, params):
    response = client.get(path, {**params, "format": "csv"})
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(csv_text(response))))


LISTS = [
    ("/api/v1/variants", {}),
    ("/api/v1/variants", {"search": "BLUE"}),
    ("/api/v1/products", {}),
    ("/api/v1/locations", {}),
    ("/api/v1/categories", {}),
    ("/api/v1/tax-categories", {}),
    ("/api/v1/pos/registers", {}),
    ("/api/v1/pos/sales", {}),
    ("/api/v1/pos/sales", {"status": "COMPLETED"}),
    ("/api/v1/pos/returns", {}),
    ("/api/v1/purchasing/vendors", {}),
    ("/api/v1/inventory/stock", {}),
    ("/api/v1/inventory/stock", {"search": "BLUE"}),
    ("/api/v1/inventory/ledger", {}),
    ("/api/v1/inventory/ledger", {"ref_type": "SALE"}),
    ("/api/v1/reports/valuation", {}),
]


@pytest.mark.parametrize("path,params", LISTS)
def test_every_list_exports_the_json_lists_rows_and_columns_as_csv(shop, path, params):
    expected = [flatten(row) for row in json_rows(shop, path, params)]
    rows = csv_rows(shop, path, params)
    assert expected, path  # the fixture gives every list rows
    assert len(rows) == len(expected)
    assert list(rows[0]) == [c for c in expected[0] if c in rows[0]]
    for row, want in zip(rows, expected, strict=True):
        for column, value in row.items():
            cell = csv_cell(want.get(column))
            assert value == str(cell), (path, column)


def test_filters_apply_to_the_csv_as_to_the_json_list(shop):
    assert [r["sku"] for r in csv_rows(shop, "/api/v1/variants", {"search": "BLUE"})] == [
        "MUG-BLUE"
    ]
    sales = csv_rows(shop, "/api/v1/inventory/ledger", {"ref_type": "SALE"})
    assert {r["ref_type"] for r in sales} == {"SALE"} and len(sales) == 2


def test_a_bad_filter_answers_the_json_error_even_when_csv_is_asked(shop):
    response = shop.get("/api/v1/pos/sales", {"format": "csv", "status": "NOPE"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "validation_error"


def test_an_empty_list_exports_its_header(owner_client):
    response = owner_client.get("/api/v1/pos/registers", {"format": "csv"})
    assert response.status_code == 200
    header = csv_text(response).splitlines()
    assert header and "name" in header[0].split(",")


def test_ledger_and_stock_exports_stream_with_constant_queries(tenant, store, owner_client):
    """Rows come from ``values_list`` as they are read: the query count does not grow."""
    made = iter(range(1000))

    def export(path, n):
        new = [
            factories.VariantFactory(tenant=tenant, sku=f"SKU-{next(made):03}") for _ in range(n)
        ]
        receive_stock(
            tenant=tenant,
            location_id=store.pk,
            lines=[ReceiptLine(v.pk, Decimal("1")) for v in new],
        )
        with CaptureQueriesContext(connection) as queries:
            text = csv_text(owner_client.get(path, {"format": "csv"}))
        return len(queries), text.count("\r\n")

    for path in ("/api/v1/inventory/ledger", "/api/v1/inventory/stock"):
        export(path, 1)  # the token's first use is recorded once
        small = export(path, 3)
        large = export(path, 30)
        assert large[1] == small[1] + 30
        assert large[0] == small[0], path
