"""The small contract defects of issue 9 (item 7), each pinned by a test.

- ``/inventory/ledger?date_from=D&date_to=D`` is the whole tenant-local day D;
- every list exports ``?format=csv`` (one renderer, ``storekeep.core.csv``);
- a quote with an unknown or another tenant's ``location_id`` is 404, like checkout;
- decimals are plain ASCII numbers: full-width digits and padded strings are 400,
  ``"-0"`` is stored as 0;
- currency codes are ISO 4217 codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from storekeep.catalog.models import Variant
from storekeep.inventory.models import StockLedger
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.tenants.models import Tenant
from storekeep.testing import factories

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ ledger dates


def test_ledger_date_to_is_the_whole_local_day(tenant, store, variant, owner_client):
    tenant.timezone = "America/New_York"
    tenant.save(update_fields=["timezone"])
    local_noon = dt.datetime(2026, 3, 14, 12, 0, tzinfo=tenant.zone)
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal("5"))],
        occurred_at=local_noon,
    )
    # 23:30 local on the 14th is already the 15th in UTC: still the 14th for the tenant.
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal("1"))],
        occurred_at=dt.datetime(2026, 3, 14, 23, 30, tzinfo=tenant.zone),
    )
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal("2"))],
        occurred_at=dt.datetime(2026, 3, 15, 0, 30, tzinfo=tenant.zone),
    )

    def deltas(**params):
        response = owner_client.get("/api/v1/inventory/ledger", params)
        assert response.status_code == 200, response.content
        return sorted(row["qty_delta"] for row in response.json()["results"])

    assert deltas(date_from="2026-03-14", date_to="2026-03-14") == ["1.000", "5.000"]
    assert deltas(date_to="2026-03-14") == ["1.000", "5.000"]
    assert deltas(date_from="2026-03-15", date_to="2026-03-15") == ["2.000"]
    assert StockLedger.objects.filter(tenant=tenant).count() == 3


def test_ledger_date_time_bounds_stay_exact(tenant, store, variant, owner_client):
    moment = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant.pk, Decimal("5"))],
        occurred_at=moment,
    )
    before = (moment - dt.timedelta(seconds=1)).isoformat()
    response = owner_client.get("/api/v1/inventory/ledger", {"date_to": before})
    assert response.json()["results"] == []


# ---------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/variants",
        "/api/v1/products",
        "/api/v1/locations",
        "/api/v1/categories",
        "/api/v1/tax-categories",
        "/api/v1/unit-conversions",
        "/api/v1/pos/sales",
        "/api/v1/pos/returns",
        "/api/v1/pos/registers",
        "/api/v1/purchasing/vendors",
        "/api/v1/purchasing/vendor_variants",
        "/api/v1/purchasing/orders",
        "/api/v1/inventory/stock",
        "/api/v1/inventory/stock_summary",
        "/api/v1/inventory/ledger",
        "/api/v1/inventory/transfers",
        "/api/v1/inventory/counts",
        "/api/v1/inventory/low-stock-alerts",
        "/api/v1/inventory/reorder_suggestions",
        "/api/v1/reports/movements",
        "/api/v1/reports/valuation",
        "/api/v1/reports/sales_summary",
    ],
)
def test_every_list_answers_csv(owner_client, store, path):
    dates = {"date_from": "2026-01-01", "date_to": "2026-01-31"} if "movements" in path else {}
    response = owner_client.get(path, {"format": "csv", **dates})
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("fmt", ["xml", "CSV", "", "json;", "１"])
def test_an_unknown_format_is_400_naming_the_parameter(owner_client, fmt):
    response = owner_client.get("/api/v1/variants", {"format": fmt})
    if fmt == "":
        assert response.status_code == 200  # no format: the default JSON
        return
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert "format" in body["details"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "１"])
def test_a_page_that_is_not_a_positive_number_is_400(owner_client, page):
    response = owner_client.get("/api/v1/variants", {"page": page})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert "page" in response.json()["details"]


def test_a_page_beyond_the_last_is_404(owner_client, variant):
    response = owner_client.get("/api/v1/variants", {"page": 2})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_malformed_ledger_cursor_is_400(owner_client):
    response = owner_client.get("/api/v1/inventory/ledger", {"cursor": "garbage"})
    assert response.status_code == 400
    assert "cursor" in response.json()["details"]


# ---------------------------------------------------------------------- quote


def quote_body(variant, **extra):
    return {"lines": [{"variant_id": variant.pk, "qty": "1"}], **extra}


def test_quote_with_another_tenants_location_is_404(owner_client, variant, other_tenant):
    foreign = factories.LocationFactory(tenant=other_tenant, code="THEIRS")
    response = owner_client.post(
        "/api/v1/pos/quote", quote_body(variant, location_id=foreign.pk), format="json"
    )
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def test_quote_with_an_unknown_location_is_404(owner_client, variant):
    response = owner_client.post(
        "/api/v1/pos/quote", quote_body(variant, location_id=987654), format="json"
    )
    assert response.status_code == 404


def test_quote_at_a_location_the_member_is_not_assigned_to_is_403(
    client_for, variant, store, warehouse
):
    from storekeep.tenants.models import Role

    client = client_for(Role.MANAGER, locations=[warehouse])
    response = client.post(
        "/api/v1/pos/quote", quote_body(variant, location_id=store.pk), format="json"
    )
    assert response.status_code == 403


def test_quote_with_its_own_location_or_none_still_prices(owner_client, variant, store):
    for body in (quote_body(variant, location_id=store.pk), quote_body(variant)):
        response = owner_client.post("/api/v1/pos/quote", body, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["total"] == "10.00"


# -------------------------------------------------------------------- numbers


@pytest.mark.parametrize("qty", ["１", " 1 ", "1 ", "\t1", "٣", "1\u00a0", "+ 1"])
def test_a_quantity_in_other_digits_or_padded_is_400(owner_client, variant, store, qty):
    response = owner_client.post(
        "/api/v1/inventory/receipts",
        {"location_id": store.pk, "lines": [{"variant_id": variant.pk, "qty": qty}]},
        format="json",
    )
    assert response.status_code == 400, (qty, response.content)
    body = response.json()
    assert body["code"] == "validation_error"
    assert "ASCII" in body["message"], body
    assert not StockLedger.objects.exists()


@pytest.mark.parametrize("qty", ["１", " 2 "])
def test_a_cart_quantity_in_other_digits_or_padded_is_400(owner_client, variant, store, qty):
    body = {"lines": [{"variant_id": variant.pk, "qty": qty}], "location_id": store.pk}
    for path in ("/api/v1/pos/quote", "/api/v1/pos/checkout"):
        response = owner_client.post(path, body, format="json")
        assert response.status_code == 400, (path, response.content)
        assert "ASCII" in response.json()["message"]


@pytest.mark.parametrize("price", ["１０", " 10.00"])
def test_a_price_in_other_digits_or_padded_is_400(owner_client, variant, price):
    response = owner_client.patch(f"/api/v1/variants/{variant.pk}", {"price": price}, format="json")
    assert response.status_code == 400, response.content
    variant.refresh_from_db()
    assert variant.price == Decimal("10.00")


@pytest.mark.parametrize("qty", ["1", "1.5", "0.001", ".5", "2.", 3, 2.25, "1e1"])
def test_plain_numbers_are_still_accepted(owner_client, tenant, store, qty):
    variant = factories.VariantFactory(tenant=tenant, unit="kg")  # fractions allowed
    response = owner_client.post(
        "/api/v1/inventory/receipts",
        {"location_id": store.pk, "lines": [{"variant_id": variant.pk, "qty": qty}]},
        format="json",
    )
    assert response.status_code == 201, (qty, response.content)


@pytest.mark.parametrize("value", ["-0", "-0.00", "-0.0000", -0.0])
def test_minus_zero_is_stored_as_zero(owner_client, variant, value):
    response = owner_client.patch(
        f"/api/v1/variants/{variant.pk}", {"price": value, "cost": value}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["price"] == "0.0000" and response.json()["cost"] == "0.0000"
    stored = Variant.objects.get(pk=variant.pk)
    assert stored.price == 0 and not stored.price.is_signed()
    assert stored.cost == 0 and not stored.cost.is_signed()


def test_the_core_parser_rejects_other_digits_and_normalises_minus_zero():
    from storekeep.core.errors import ValidationFailed
    from storekeep.core.numbers import clean_cost, clean_qty, to_decimal

    assert str(to_decimal("-0", field_name="x")) == "0"
    assert not clean_cost("-0.0000").is_signed()
    assert clean_qty("2", field_name="qty") == Decimal("2.000")
    for text in ("１", " 1", "1 ", "", "1_000", "0x10", "NaN", "Infinity"):
        with pytest.raises(ValidationFailed):
            to_decimal(text, field_name="qty")


# ------------------------------------------------------------------ currencies


@pytest.mark.parametrize("code", ["XYZ", "ABC", "QQQ", "usd1", "GB", "£££"])
def test_tenant_currency_must_be_an_iso_4217_code(owner_client, tenant, code):
    response = owner_client.patch("/api/v1/tenant", {"currency": code}, format="json")
    assert response.status_code == 400, response.content
    assert "currency" in response.json()["details"]
    tenant.refresh_from_db()
    assert tenant.currency == "GBP"


@pytest.mark.parametrize("code,stored", [("EUR", "EUR"), ("jpy", "JPY"), ("KWD", "KWD")])
def test_tenant_currency_accepts_iso_4217_codes(owner_client, tenant, code, stored):
    response = owner_client.patch("/api/v1/tenant", {"currency": code}, format="json")
    assert response.status_code == 200, response.content
    assert Tenant.objects.get(pk=tenant.pk).currency == stored


def test_bootstrap_refuses_a_currency_that_is_not_iso_4217():
    from django.core.management import CommandError

    from storekeep.accounts.management.commands.bootstrap_tenant import bootstrap_tenant

    with pytest.raises(CommandError, match="ISO 4217"):
        bootstrap_tenant(
            slug="shop",
            name="Shop",
            owner_username="owner",
            owner_password="a long enough password 1",
            currency="XYZ",
        )
    assert not Tenant.objects.filter(slug="shop").exists()
