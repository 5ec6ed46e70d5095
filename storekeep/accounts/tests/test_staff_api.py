"""``/api/v1/staff`` (issue 12 item 1): who may add and change whom, deactivation and new
passwords stopping tokens at once, history, validation and tenant isolation."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from storekeep.accounts.models import ApiToken
from storekeep.tenants.models import Membership, Role
from storekeep.testing import factories

pytestmark = pytest.mark.django_db

STAFF = "/api/v1/staff"
GOOD_PASSWORD = "Till-roll-2026"


def new_person(role=Role.CASHIER, **extra):
    return {
        "username": extra.pop("username", "nina"),
        "name": "Nina Patel",
        "email": "nina@example.com",
        "password": GOOD_PASSWORD,
        "role": role,
        **extra,
    }


def bearer(membership) -> APIClient:
    _, raw = ApiToken.issue(membership=membership, ttl=settings.STOREKEEP_TOKEN_TTL)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# ------------------------------------------------------------------------ create


def test_owner_adds_a_cashier_who_can_then_log_in(owner_client, tenant, store):
    response = owner_client.post(
        STAFF, new_person(location_ids=[store.pk]), format="json", HTTP_IDEMPOTENCY_KEY="add-1"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "nina" and body["name"] == "Nina Patel"
    assert body["email"] == "nina@example.com"
    assert body["role"] == "CASHIER" and body["location_ids"] == [store.pk]
    assert body["is_active"] is True and body["last_login"] is None
    member = Membership.objects.get(pk=body["id"])
    assert member.tenant_id == tenant.pk and member.user.check_password(GOOD_PASSWORD)
    assert not member.user.is_staff and not member.user.is_superuser
    login = APIClient().post(
        "/api/v1/auth/token", {"username": "nina", "password": GOOD_PASSWORD}, format="json"
    )
    assert login.status_code == 201 and login.json()["role"] == "CASHIER"


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.INTEGRATION, Role.CASHIER])
def test_owner_may_appoint_every_role(owner_client, role):
    response = owner_client.post(STAFF, new_person(role), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == role


@pytest.mark.parametrize("role", [Role.CASHIER, Role.VIEWER])
def test_manager_adds_cashiers_and_viewers(manager_client, role):
    response = manager_client.post(STAFF, new_person(role), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.INTEGRATION])
def test_manager_cannot_appoint_a_manager_or_above(manager_client, role):
    response = manager_client.post(STAFF, new_person(role), format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert not get_user_model().objects.filter(username="nina").exists()


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.CASHIER, Role.VIEWER])
def test_below_manager_has_no_staff_api(client_for, role, make_member, tenant):
    client = client_for(role)
    other = make_member(role=Role.VIEWER, tenant=tenant)
    for method, url, body in (
        ("get", STAFF, None),
        ("post", STAFF, new_person(Role.VIEWER)),
        ("get", f"{STAFF}/{other.pk}", None),
        ("patch", f"{STAFF}/{other.pk}", {"is_active": False}),
        ("post", f"{STAFF}/{other.pk}/password", {"password": GOOD_PASSWORD}),
        ("get", f"{STAFF}/{other.pk}/history", None),
    ):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.content)
        assert response.json()["code"] == "permission_denied"
    other.refresh_from_db()
    assert other.is_active and not get_user_model().objects.filter(username="nina").exists()


def test_no_token_is_401():
    assert APIClient().get(STAFF).status_code == 401


def test_a_taken_username_is_409_duplicate_whatever_the_case(
    owner_client, make_member, other_tenant
):
    make_member(role=Role.OWNER, tenant=other_tenant, username="Nina")
    response = owner_client.post(STAFF, new_person(), format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "duplicate"
    assert response.json()["details"] == {"username": "nina"}


@pytest.mark.parametrize(
    "password, fragment",
    [("short", "too short"), ("password123", "too common"), ("48213579120", "entirely numeric")],
)
def test_weak_passwords_are_400_password_rejected(owner_client, password, fragment):
    response = owner_client.post(STAFF, new_person(password=password), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "password_rejected"
    assert any(fragment in message for message in body["details"]["password"])
    assert not get_user_model().objects.filter(username="nina").exists()


def test_password_similar_to_the_username_is_rejected(owner_client):
    response = owner_client.post(
        STAFF, new_person(username="margaret.w", password="margaret.w1"), format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "password_rejected"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"role": "BOSS"}, "role"),
        ({"username": "has space"}, "username"),
        ({"username": ""}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"location_ids": ["x"]}, "location_ids"),
        ({"password": ""}, "password"),
    ],
)
def test_bad_input_is_400_and_adds_no_one(owner_client, change, field):
    users = get_user_model().objects.count()
    response = owner_client.post(STAFF, new_person(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
    assert get_user_model().objects.count() == users


def test_another_tenants_location_is_400(owner_client, other_tenant):
    foreign = factories.LocationFactory(tenant=other_tenant, code="THEIRS")
    response = owner_client.post(STAFF, new_person(location_ids=[foreign.pk]), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["details"]["location_ids"] == [f"Unknown location id {foreign.pk}."]
    assert not get_user_model().objects.filter(username="nina").exists()


def test_a_manager_of_some_stores_staffs_only_those(client_for, store, warehouse):
    manager = client_for(Role.MANAGER, locations=[store])
    for locations in ([], [warehouse.pk], [store.pk, warehouse.pk]):
        response = manager.post(STAFF, new_person(location_ids=locations), format="json")
        assert response.status_code == 403, (locations, response.content)
    response = manager.post(STAFF, new_person(location_ids=[store.pk]), format="json")
    assert response.status_code == 201, response.content


# ------------------------------------------------------------------------- list / detail


def test_list_filters_and_costs_constant_queries(
    owner_client, make_member, tenant, store, django_assert_max_num_queries
):
    for n in range(3):
        make_member(role=Role.CASHIER, tenant=tenant, locations=[store], username=f"till{n}")
    make_member(role=Role.VIEWER, tenant=tenant, username="auditor")
    with django_assert_max_num_queries(8) as few:
        response = owner_client.get(STAFF)
    assert response.status_code == 200
    assert response.json()["count"] == 5  # the owner, three cashiers, the viewer
    queries = len(few.captured_queries)
    for n in range(10):
        make_member(role=Role.CASHIER, tenant=tenant, locations=[store], username=f"more{n}")
    with django_assert_max_num_queries(queries):
        assert owner_client.get(STAFF).json()["count"] == 15
    cashiers = owner_client.get(STAFF, {"role": "CASHIER", "search": "till"}).json()
    assert [m["username"] for m in cashiers["results"]] == ["till0", "till1", "till2"]
    assert all(m["location_ids"] == [store.pk] for m in cashiers["results"])
    assert owner_client.get(STAFF, {"role": "NOPE"}).status_code == 400


def test_list_never_shows_another_tenant(owner_client, make_member, other_tenant):
    theirs = make_member(role=Role.CASHIER, tenant=other_tenant, username="theirs")
    names = [m["username"] for m in owner_client.get(STAFF).json()["results"]]
    assert "theirs" not in names
    for url in (f"{STAFF}/{theirs.pk}", f"{STAFF}/{theirs.pk}/history"):
        response = owner_client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    for method, url, body in (
        ("patch", f"{STAFF}/{theirs.pk}", {"is_active": False}),
        ("post", f"{STAFF}/{theirs.pk}/password", {"password": GOOD_PASSWORD}),
    ):
        assert getattr(owner_client, method)(url, body, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.user.check_password("pass")
    assert owner_client.get(f"{STAFF}/abc").status_code == 404


def test_a_manager_of_some_stores_sees_only_their_people(
    client_for, make_member, tenant, store, warehouse
):
    manager = client_for(Role.MANAGER, locations=[store])
    here = make_member(role=Role.CASHIER, tenant=tenant, locations=[store], username="here")
    there = make_member(role=Role.CASHIER, tenant=tenant, locations=[warehouse], username="there")
    names = {m["username"] for m in manager.get(STAFF).json()["results"]}
    assert "here" in names and "there" not in names
    assert manager.get(f"{STAFF}/{here.pk}").status_code == 200
    response = manager.get(f"{STAFF}/{there.pk}")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert (
        manager.patch(f"{STAFF}/{there.pk}", {"is_active": False}, format="json").status_code == 403
    )


# ------------------------------------------------------------------------------ update


def test_owner_promotes_and_moves_a_cashier(owner_client, make_member, tenant, store, warehouse):
    cashier = make_member(role=Role.CASHIER, tenant=tenant, locations=[store])
    response = owner_client.patch(
        f"{STAFF}/{cashier.pk}",
        {"role": "MANAGER", "location_ids": [warehouse.pk, store.pk], "name": "Sam Lee"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["role"] == "MANAGER" and body["location_ids"] == sorted([store.pk, warehouse.pk])
    assert body["name"] == "Sam Lee"
    cashier.refresh_from_db()
    assert cashier.role == Role.MANAGER
    assert set(cashier.locations.values_list("pk", flat=True)) == {store.pk, warehouse.pk}


def test_manager_cannot_raise_a_cashier_or_touch_a_manager(manager_client, make_member, tenant):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    peer = make_member(role=Role.MANAGER, tenant=tenant)
    for target, change in (
        (cashier, {"role": "MANAGER"}),
        (cashier, {"role": "INTEGRATION"}),
        (peer, {"is_active": False}),
        (peer, {"role": "CASHIER"}),
        (manager_client.membership, {"role": "OWNER"}),
    ):
        response = manager_client.patch(f"{STAFF}/{target.pk}", change, format="json")
        assert response.status_code == 403, (change, response.content)
        assert response.json()["code"] == "permission_denied"
    cashier.refresh_from_db(), peer.refresh_from_db()
    assert cashier.role == Role.CASHIER and peer.is_active and peer.role == Role.MANAGER


def test_manager_deactivates_a_cashier(manager_client, make_member, tenant):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    response = manager_client.patch(f"{STAFF}/{cashier.pk}", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_the_last_active_owner_stays(owner_client, make_member, tenant):
    me = owner_client.membership
    for change in ({"role": "MANAGER"}, {"is_active": False}):
        response = owner_client.patch(f"{STAFF}/{me.pk}", change, format="json")
        assert response.status_code == 403, response.content
        assert response.json()["details"]["reason"] == "last_owner"
    me.refresh_from_db()
    assert me.role == Role.OWNER and me.is_active
    second = make_member(role=Role.OWNER, tenant=tenant)
    response = owner_client.patch(f"{STAFF}/{second.pk}", {"is_active": False}, format="json")
    assert response.status_code == 200  # two owners: one may go
    response = owner_client.patch(f"{STAFF}/{me.pk}", {"role": "MANAGER"}, format="json")
    assert response.status_code == 403  # the deactivated one does not count


def test_an_owner_may_step_down_once_another_owner_exists(owner_client, make_member, tenant):
    make_member(role=Role.OWNER, tenant=tenant)
    me = owner_client.membership
    response = owner_client.patch(f"{STAFF}/{me.pk}", {"role": "MANAGER"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "MANAGER"


def test_patch_rejects_foreign_locations_and_bad_values(
    owner_client, make_member, tenant, other_tenant
):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    foreign = factories.LocationFactory(tenant=other_tenant, code="THEIRS")
    for change in ({"location_ids": [foreign.pk]}, {"role": "KING"}, {"is_active": "maybe"}):
        response = owner_client.patch(f"{STAFF}/{cashier.pk}", change, format="json")
        assert response.status_code == 400, (change, response.content)
    assert cashier.locations.count() == 0


def test_name_and_email_of_a_login_shared_with_another_tenant_stay(
    owner_client, make_member, tenant, other_tenant
):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    Membership.objects.create(tenant=other_tenant, user=cashier.user, role=Role.OWNER)
    for path, body in (
        ("", {"email": "mine@example.com"}),
        ("/password", {"password": GOOD_PASSWORD}),
    ):
        send = owner_client.post if path else owner_client.patch
        response = send(f"{STAFF}/{cashier.pk}{path}", body, format="json")
        assert response.status_code == 403, response.content
        assert response.json()["details"]["reason"] == "shared_login"
    # the role and activity here are still this tenant's to change
    response = owner_client.patch(f"{STAFF}/{cashier.pk}", {"role": "VIEWER"}, format="json")
    assert response.status_code == 200


# ----------------------------------------------------------- tokens stop at once


def test_deactivating_stops_bearer_tokens_at_once_and_for_good(owner_client, make_member, tenant):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    theirs = bearer(cashier)
    assert theirs.get("/api/v1/auth/me").status_code == 200
    owner_client.patch(f"{STAFF}/{cashier.pk}", {"is_active": False}, format="json")
    assert theirs.get("/api/v1/auth/me").status_code == 401
    owner_client.patch(f"{STAFF}/{cashier.pk}", {"is_active": True}, format="json")
    assert theirs.get("/api/v1/auth/me").status_code == 401  # revoked, not just suspended
    assert bearer(cashier).get("/api/v1/auth/me").status_code == 200


def test_a_new_password_revokes_their_tokens(owner_client, make_member, tenant):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    theirs = bearer(cashier)
    response = owner_client.post(
        f"{STAFF}/{cashier.pk}/password", {"password": GOOD_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    assert theirs.get("/api/v1/auth/me").status_code == 401
    cashier.user.refresh_from_db()
    assert cashier.user.check_password(GOOD_PASSWORD)


def test_a_weak_new_password_changes_nothing(owner_client, make_member, tenant):
    cashier = make_member(role=Role.CASHIER, tenant=tenant)
    theirs = bearer(cashier)
    response = owner_client.post(
        f"{STAFF}/{cashier.pk}/password", {"password": "1234"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "password_rejected"
    assert theirs.get("/api/v1/auth/me").status_code == 200
    cashier.user.refresh_from_db()
    assert cashier.user.check_password("pass")


def test_manager_cannot_set_an_owners_password(manager_client, owner_client):
    owner = owner_client.membership
    response = manager_client.post(
        f"{STAFF}/{owner.pk}/password", {"password": GOOD_PASSWORD}, format="json"
    )
    assert response.status_code == 403
    owner.user.refresh_from_db()
    assert owner.user.check_password("pass")


# ------------------------------------------------------------------------------ history


def test_every_change_is_in_the_members_history(owner_client, tenant, store, warehouse):
    created = owner_client.post(STAFF, new_person(location_ids=[store.pk]), format="json").json()
    url = f"{STAFF}/{created['id']}"
    owner_client.patch(url, {"role": "MANAGER", "location_ids": [warehouse.pk]}, format="json")
    owner_client.patch(url, {"role": "MANAGER"}, format="json")  # no change: no entry
    owner_client.patch(url, {"is_active": False, "email": "n@example.com"}, format="json")
    owner_client.post(f"{url}/password", {"password": GOOD_PASSWORD + "!"}, format="json")
    response = owner_client.get(f"{url}/history")
    assert response.status_code == 200, response.content
    entries = response.json()
    me = {"id": owner_client.user.pk, "username": owner_client.user.username}
    assert [e["by"] for e in entries] == [me] * 4
    assert [(e["action"], e["note"]) for e in entries] == [
        ("created", "added"),
        ("changed", "changed"),
        ("changed", "email changed, deactivated"),
        ("changed", "password set"),
    ]
    assert entries[0]["changes"] == {
        "role": {"old": None, "new": "CASHIER"},
        "is_active": {"old": None, "new": True},
        "location_ids": {"old": None, "new": [store.pk]},
    }
    assert entries[1]["changes"] == {
        "role": {"old": "CASHIER", "new": "MANAGER"},
        "location_ids": {"old": [store.pk], "new": [warehouse.pk]},
    }
    assert entries[2]["changes"] == {"is_active": {"old": True, "new": False}}
    assert entries[3]["changes"] == {}
    assert all(e["at"] for e in entries)


def test_history_costs_constant_queries(owner_client, tenant, store, django_assert_num_queries):
    created = owner_client.post(STAFF, new_person(location_ids=[store.pk]), format="json").json()
    url = f"{STAFF}/{created['id']}/history"
    with CaptureQueriesContext(connection) as few:
        assert len(owner_client.get(url).json()) == 1
    queries = len(few.captured_queries)  # read now: each request clears the query log
    for flag in (False, True, False, True):
        owner_client.patch(f"{STAFF}/{created['id']}", {"is_active": flag}, format="json")
    with django_assert_num_queries(queries):
        assert len(owner_client.get(url).json()) == 5


def test_the_list_exports_csv_with_its_filters(owner_client, make_member, tenant, store):
    from storekeep.testing.http import csv_text

    make_member(role=Role.CASHIER, tenant=tenant, locations=[store], username="till-a")
    make_member(role=Role.VIEWER, tenant=tenant, username="auditor")
    response = owner_client.get(STAFF, {"role": "CASHIER", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = csv_text(response)
    lines = body.splitlines()
    assert lines[0].startswith("id,user_id,username,name,email,role,location_ids")
    assert len(lines) == 2 and "till-a" in lines[1] and "auditor" not in body
