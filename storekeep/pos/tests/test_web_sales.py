"""Back-office sales list and sale page, and the owner's dashboard, through Django's test client."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storekeep.pos.services import CartLine, Tender, checkout
from storekeep.pos.services.returns import ReturnLineInput, return_process
from storekeep.pos.services.sessions import register_session_close
from storekeep.tenants.models import Role
from storekeep.testing import factories

from .factories import build_world

pytestmark = pytest.mark.django_db


def _sell(world, session, variant, qty="1", **kwargs):
    return checkout(
        tenant=world.tenant,
        register_session=session,
        actor=world.cashier.user,
        lines=[CartLine(variant_id=variant.pk, qty=D(qty))],
        tenders=[Tender("CASH", D("500.00"))],
        **kwargs,
    ).sale


def test_sales_list_filters_and_sale_page_shows_lines_tenders_returns_ledger(web_client):
    world = build_world()
    session, _ = world.open_session()
    a, b, _ = world.variants
    first = _sell(world, session, a, "2")
    second = _sell(world, session, b, "1")
    ret = return_process(
        tenant=world.tenant,
        sale_id=first.pk,
        lines=[ReturnLineInput(qty=D("1"), variant_id=a.pk)],
        actor=world.manager.user,
        register_session=session,
    )
    owner = web_client(Role.OWNER, tenant_=world.tenant)
    page = owner.get("/sales/").content.decode()
    assert first.receipt_number in page and second.receipt_number in page
    today = timezone.localdate().isoformat()
    page = owner.get(
        f"/sales/?from={today}&to={today}&register={world.register.pk}"
        f"&cashier={world.cashier.user.pk}&status=COMPLETED&search={second.receipt_number}"
    ).content.decode()
    assert second.receipt_number in page and first.receipt_number not in page
    assert "No sales match" in owner.get("/sales/?status=VOIDED").content.decode()
    detail = owner.get(f"/sales/{first.pk}/").content.decode()
    assert a.sku in detail and "Cash" in detail and f"Return #{ret.pk}" in detail
    assert "Sale</td>" in detail and "Return</td>" in detail  # its ledger rows
    assert owner.get(f"/sales/returns/{ret.pk}/")["Location"] == f"/sales/{first.pk}/"
    body = b"".join(owner.get("/sales/export.csv?status=COMPLETED").streaming_content).decode()
    assert body.count("\r\n") == 3 and first.receipt_number in body


def test_sales_of_other_stores_and_tenants_are_hidden(web_client):
    world = build_world()
    session, _ = world.open_session()
    sale = _sell(world, session, world.variants[0])
    elsewhere = factories.LocationFactory(tenant=world.tenant, code="ELSE")
    member = web_client(Role.MANAGER, locations=[elsewhere], tenant_=world.tenant)
    assert member.get(f"/sales/{sale.pk}/").status_code == 404
    assert sale.receipt_number not in member.get("/sales/").content.decode()
    assert member.get(f"/sales/?location={world.store.pk}").status_code == 403
    stranger = web_client(Role.OWNER)
    assert stranger.get(f"/sales/{sale.pk}/").status_code == 404


def test_sales_list_query_count_is_constant(web_client):
    world = build_world(on_hand="1000")
    session, _ = world.open_session()
    for _ in range(30):
        _sell(world, session, world.variants[0])
    owner = web_client(Role.OWNER, tenant_=world.tenant)
    counts = []
    for size in (25, 100):
        with CaptureQueriesContext(connection) as ctx:
            assert owner.get(f"/sales/?page_size={size}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_dashboard_figures_link_to_their_lists(web_client):
    world = build_world()
    session, _ = world.open_session()
    a, b, _ = world.variants
    b.reorder_point = D("200")
    b.save()
    _sell(world, session, a, "3")
    _sell(world, session, b, "1")
    register_session_close(session=session, counted_cash=D("100.00"), actor=world.cashier.user)
    owner = web_client(Role.OWNER, tenant_=world.tenant)
    page = owner.get("/dashboard/").content.decode()
    today = timezone.localdate()
    assert "£40.00" in page  # 3 × 10.00 + 1 × 10.00
    assert f"/sales/?from={(today - dt.timedelta(days=29)).isoformat()}" in page
    assert page.index(a.sku) < page.index(b.sku)  # top products by sales
    assert f'href="/stock/{b.pk}/"' in page  # nearest to zero: b is under its threshold
    assert "Recent Z reports" in page and "−£40.00" in page  # counted 100 vs expected 140
    assert "<svg" in page


def test_dashboard_query_count_does_not_grow_with_sales(web_client):
    world = build_world(on_hand="1000")
    session, _ = world.open_session()
    _sell(world, session, world.variants[0])
    owner = web_client(Role.OWNER, tenant_=world.tenant)
    with CaptureQueriesContext(connection) as ctx:
        owner.get("/dashboard/")
    few = len(ctx.captured_queries)
    for variant in world.variants * 10:
        _sell(world, session, variant)
    with CaptureQueriesContext(connection) as ctx:
        owner.get("/dashboard/")
    assert len(ctx.captured_queries) == few


def test_sale_page_query_count_does_not_grow_with_its_lines(web_client):
    world = build_world(n_variants=6, on_hand="100")
    session, _ = world.open_session()
    owner = web_client(Role.OWNER, tenant_=world.tenant)

    def sale_of(n):
        return checkout(
            tenant=world.tenant,
            register_session=session,
            actor=world.cashier.user,
            lines=[CartLine(variant_id=v.pk, qty=D("1")) for v in world.variants[:n]],
            tenders=[Tender("CASH", D("500.00"))],
        ).sale

    counts = []
    for n in (1, 6):
        sale = sale_of(n)
        with CaptureQueriesContext(connection) as ctx:
            assert owner.get(f"/sales/{sale.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
