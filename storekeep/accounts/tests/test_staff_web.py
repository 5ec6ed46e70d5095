"""The staff pages with Django's test client (issue 14 item 8): who gets in, what they may
give, constant queries, tenant isolation. The browser tests are in test_staff_browser.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storekeep.tenants.models import Membership, Role
from storekeep.testing import factories

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Till-roll-2026"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CASHIER, Role.INTEGRATION])
def test_below_manager_gets_a_403_page(web_client, role, make_member, tenant):
    client = web_client(role)
    other = make_member(role=Role.CASHIER, tenant=tenant)
    for response in (
        client.get("/staff/"),
        client.get(f"/staff/{other.pk}/"),
        client.post("/staff/", {"username": "x", "password": GOOD_PASSWORD, "role": "VIEWER"}),
        client.post(f"/staff/{other.pk}/", {"action": "deactivate"}),
    ):
        assert response.status_code == 403
    other.refresh_from_db()
    assert other.is_active and not get_user_model().objects.filter(username="x").exists()


def test_the_list_costs_constant_queries(web_client, make_member, tenant, store):
    client = web_client(Role.OWNER)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/staff/").status_code == 200
    queries = len(few.captured_queries)
    for n in range(12):
        make_member(role=Role.CASHIER, tenant=tenant, locations=[store], username=f"c{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/staff/")
    assert len(many.captured_queries) == queries
    assert b"c11" in response.content


def test_a_manager_is_offered_only_cashier_and_viewer(web_client):
    content = web_client(Role.MANAGER).get("/staff/").content.decode()
    assert '<option value="CASHIER"' in content and '<option value="VIEWER"' in content
    assert '<option value="OWNER"' not in content.split('id="s-role"')[1]


def test_a_manager_posting_an_owner_is_refused_and_told_why(web_client):
    response = web_client(Role.MANAGER).post(
        "/staff/", {"username": "boss", "password": GOOD_PASSWORD, "role": "OWNER"}
    )
    assert response.status_code == 403
    assert "cannot manage or appoint owner" in response.content.decode()
    assert not get_user_model().objects.filter(username="boss").exists()


def test_another_tenants_member_is_404(web_client, other_tenant):
    theirs = factories.MembershipFactory(tenant=other_tenant, role=Role.CASHIER)
    client = web_client(Role.OWNER)
    assert client.get(f"/staff/{theirs.pk}/").status_code == 404
    assert client.post(f"/staff/{theirs.pk}/", {"action": "deactivate"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


def test_a_manager_of_one_store_sees_only_its_people(
    web_client, make_member, tenant, store, warehouse
):
    client = web_client(Role.MANAGER, locations=[store])
    make_member(role=Role.CASHIER, tenant=tenant, locations=[store], username="here")
    there = make_member(role=Role.CASHIER, tenant=tenant, locations=[warehouse], username="there")
    content = client.get("/staff/").content.decode()
    assert "here" in content and ">there<" not in content
    assert client.get(f"/staff/{there.pk}/").status_code == 403


def test_the_last_owner_cannot_deactivate_themselves(web_client):
    client = web_client(Role.OWNER)
    me = client.membership
    response = client.post(f"/staff/{me.pk}/", {"action": "deactivate"})
    assert response.status_code == 403
    assert "last active owner" in response.content.decode()
    assert Membership.objects.get(pk=me.pk).is_active
