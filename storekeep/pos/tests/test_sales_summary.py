"""GET /api/v1/reports/sales_summary (SPEC §9): agrees with receipts and refunds."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from storekeep.pos.services import (
    CartLine,
    ReturnLineInput,
    Tender,
    checkout,
    return_process,
    sale_void,
)
from storekeep.tenants.models import Role
from storekeep.testing.http import csv_text

from .factories import LocationFactory, bearer, build_world, member, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(world):
    a, b, _ = world.variants
    session, _ = world.open_session()
    day1 = datetime(2024, 3, 1, 12, tzinfo=UTC)
    day2 = datetime(2024, 3, 2, 12, tzinfo=UTC)
    s1 = checkout(
        tenant=world.tenant,
        register_session=session,
        completed_at=day1,
        lines=[CartLine(variant_id=a.pk, qty=D("3"))],
        tenders=[Tender("CASH", D("30.00"))],
    )
    checkout(
        tenant=world.tenant,
        register_session=session,
        completed_at=day1,
        lines=[CartLine(variant_id=b.pk, qty=D("1"), discount_amount=D("1.00"))],
        tenders=[Tender("CARD", D("9.00"))],
    )
    s3 = checkout(
        tenant=world.tenant,
        register_session=session,
        completed_at=day2,
        lines=[CartLine(variant_id=a.pk, qty=D("1"))],
        tenders=[Tender("CASH", D("10"))],
    )
    sale_void(tenant=world.tenant, sale_id=s3.sale.pk)
    other_store = LocationFactory(tenant=world.tenant, code="MAN")
    stock(world.tenant, other_store, a, "10")
    checkout(
        tenant=world.tenant,
        location=other_store,
        source="API",
        completed_at=day2,
        lines=[CartLine(variant_id=a.pk, qty=D("2"))],
    )
    return_process(
        tenant=world.tenant,
        sale_id=s1.sale.pk,
        occurred_at=day2,
        register_session=session,
        manager_approved=True,
        lines=[ReturnLineInput(qty=D("1"), sale_line_id=s1.lines[0].pk)],
    )
    return world


def get(client, **params):
    r = client.get("/api/v1/reports/sales_summary", params)
    assert r.status_code == 200, r.content
    return r.json()


def test_by_day_sales_voids_refunds_and_net(sales):
    viewer = APIClient()
    viewer.credentials(HTTP_AUTHORIZATION=bearer(member(sales.tenant, Role.VIEWER)))
    body = get(viewer, group_by="day", date_from="2024-03-01", date_to="2024-03-02")
    rows = {row["date"]: row for row in body["results"]}
    d1, d2 = rows["2024-03-01"], rows["2024-03-02"]
    assert (d1["sales_count"], d1["gross_sales"], d1["discounts"], d1["sales_total"]) == (
        2,
        "40.00",
        "1.00",
        "39.00",
    )
    assert d1["tax"] == "6.50"  # 30.00 → 5.00, 9.00 → 1.50 (20 % included)
    assert (d2["sales_count"], d2["sales_total"], d2["voids_count"], d2["voids_total"]) == (
        1,
        "20.00",
        1,
        "10.00",
    )
    assert (d2["returns_count"], d2["refunds"], d2["refund_tax"]) == (1, "10.00", "1.67")
    assert d2["net_sales"] == "10.00"
    totals = body["totals"]
    assert totals["sales_total"] == "59.00" and totals["refunds"] == "10.00"
    assert totals["net_sales"] == "49.00"
    assert D(totals["net_sales_ex_tax"]) == D("49.00") - (D(totals["tax"]) - D("1.67"))


def test_by_location_and_register_and_filters(sales):
    manager = APIClient()
    manager.credentials(HTTP_AUTHORIZATION=bearer(sales.manager))
    by_loc = {row["location_code"]: row for row in get(manager, group_by="location")["results"]}
    assert by_loc["LON"]["sales_total"] == "39.00" and by_loc["MAN"]["sales_total"] == "20.00"
    by_reg = get(manager, group_by="register")["results"]
    till = next(r for r in by_reg if r["register_id"] == sales.register.pk)
    assert till["register_code"] == "T1" and till["net_sales"] == "29.00"
    assert next(r for r in by_reg if r["register_id"] is None)["sales_total"] == "20.00"
    only = get(manager, group_by="day", location_id=sales.store.pk)
    assert only["totals"]["sales_total"] == "39.00"
    only_reg = get(manager, register_id=sales.register.pk)
    assert only_reg["totals"]["sales_count"] == 2
    bad = manager.get("/api/v1/reports/sales_summary", {"group_by": "week"})
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"
    bad = manager.get(
        "/api/v1/reports/sales_summary", {"date_from": "2024-03-05", "date_to": "2024-03-01"}
    )
    assert bad.status_code == 400


def test_csv_export_and_tenant_isolation(sales):
    manager = APIClient()
    manager.credentials(HTTP_AUTHORIZATION=bearer(sales.manager))
    r = manager.get("/api/v1/reports/sales_summary", {"group_by": "day", "format": "csv"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_text(r))))
    assert [row["date"] for row in rows] == ["2024-03-01", "2024-03-02"]
    assert rows[0]["sales_total"] == "39.00"
    other = build_world(n_variants=0)
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=bearer(other.manager))
    assert get(outsider)["totals"]["sales_count"] == 0
    assert manager.get("/api/v1/reports/sales_summary").status_code == 200
    assert APIClient().get("/api/v1/reports/sales_summary").status_code == 401


def test_query_count_does_not_depend_on_page_size(sales):
    manager = APIClient()
    manager.credentials(HTTP_AUTHORIZATION=bearer(sales.manager))
    get(manager)  # the first call of a token records its last use
    counts = []
    for size in (1, 50):
        with CaptureQueriesContext(connection) as ctx:
            get(manager, group_by="register", page_size=size)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
