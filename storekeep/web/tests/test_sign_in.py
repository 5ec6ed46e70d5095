"""Session sign-in at ``/``, tenant choice, sign out and role checks (SPEC §11)."""

import pytest
from django.test import Client

from storekeep.tenants.models import Role
from storekeep.testing import factories
from storekeep.web.access import TENANT_SESSION_KEY

pytestmark = pytest.mark.django_db


def post_sign_in(client, username, password="pass", **extra):
    return client.post("/", {"username": username, "password": password, **extra})


def test_sign_in_page_has_labelled_fields():
    response = Client().get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html


def test_wrong_password_shows_a_clear_message_and_signs_nobody_in(make_member):
    member = make_member(role=Role.CASHIER)
    client = Client()
    response = post_sign_in(client, member.user.username, "wrong")
    assert response.status_code == 401
    assert "Wrong username or password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_fields_are_asked_for():
    response = post_sign_in(Client(), "", "")
    assert response.status_code == 400
    assert "Enter your username and password." in response.content.decode()


def test_one_membership_signs_in_to_its_tenant_and_home_shows_role_pages(make_member):
    member = make_member(role=Role.VIEWER)
    client = Client()
    response = post_sign_in(client, member.user.username)
    assert response.status_code == 302
    assert client.session[TENANT_SESSION_KEY] == member.tenant_id
    home = client.get("/").content.decode()
    assert "Sign out" in home
    assert member.tenant.name in home


def test_a_user_of_several_tenants_chooses_one(make_member, tenant, other_tenant):
    member = make_member(role=Role.MANAGER, tenant=tenant)
    factories.MembershipFactory(user=member.user, tenant=other_tenant, role=Role.VIEWER)
    client = Client()
    response = post_sign_in(client, member.user.username)
    assert response["Location"] == "/choose-shop/"
    page = client.get("/choose-shop/").content.decode()
    assert tenant.name in page and other_tenant.name in page
    client.post("/choose-shop/", {"tenant": other_tenant.pk})
    assert client.session[TENANT_SESSION_KEY] == other_tenant.pk


def test_a_tenant_not_ones_own_cannot_be_chosen(make_member, tenant, other_tenant):
    member = make_member(role=Role.MANAGER, tenant=tenant)
    factories.MembershipFactory(user=member.user, tenant=factories.TenantFactory())
    client = Client()
    post_sign_in(client, member.user.username)
    client.post("/choose-shop/", {"tenant": other_tenant.pk})
    assert TENANT_SESSION_KEY not in client.session


def test_inactive_membership_cannot_sign_in(make_member):
    member = make_member(role=Role.OWNER)
    member.is_active = False
    member.save()
    response = post_sign_in(Client(), member.user.username)
    assert response.status_code == 403
    assert "not a member of any shop" in response.content.decode()


def test_sign_out_needs_post_and_ends_the_session(make_member):
    member = make_member(role=Role.CASHIER)
    client = Client()
    post_sign_in(client, member.user.username)
    assert client.get("/sign-out/").status_code == 405
    client.post("/sign-out/")
    assert "_auth_user_id" not in client.session


def test_csrf_is_enforced_on_sign_in(make_member):
    member = make_member(role=Role.CASHIER)
    client = Client(enforce_csrf_checks=True)
    response = post_sign_in(client, member.user.username)
    assert response.status_code == 403


def test_next_is_followed_only_on_this_site(make_member):
    member = make_member(role=Role.CASHIER)
    client = Client()
    response = post_sign_in(client, member.user.username, next="https://evil.example/")
    assert response["Location"] == "/"


def test_the_web_sign_in_is_throttled_by_the_same_counter_as_the_api(make_member, settings):
    """Issue 9 item 2: every password check goes through the one throttle (django-axes)."""
    member = make_member(role=Role.CASHIER)
    username = member.user.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_sign_in(Client(), username, "wrong").status_code == 401
    assert post_sign_in(Client(), username, "wrong").status_code == 429  # the limit is reached
    response = post_sign_in(Client(), username, "pass")  # the right password, still locked out
    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-ins." in html and "Try again in" in html
    assert "_auth_user_id" not in Client().session
    api = Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": "pass", "tenant": member.tenant.slug},
        content_type="application/json",
    )
    assert api.status_code == 429
