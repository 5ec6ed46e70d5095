"""`member_required`: sign-in redirect, role refusal, deactivated members (SPEC §11)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from storekeep.tenants.models import Role
from storekeep.web.access import TENANT_SESSION_KEY, TILL_ROLES, member_required

pytestmark = pytest.mark.django_db


@member_required(min_role=Role.MANAGER)
def manager_page(request):
    return HttpResponse(f"{request.tenant.slug}:{request.membership.role}")


@member_required(roles=TILL_ROLES)
def till_page(request):
    return HttpResponse("till")


def request_for(membership=None, path="/x/"):
    request = RequestFactory().get(path)
    request.session = SessionStore()
    request.user = membership.user if membership else AnonymousUser()
    if membership:
        request.session[TENANT_SESSION_KEY] = membership.tenant_id
    return request


def test_anonymous_goes_to_sign_in_with_next():
    response = manager_page(request_for())
    assert response.status_code == 302
    assert response["Location"] == "/?next=%2Fx%2F"


def test_role_below_minimum_is_refused_with_403(make_member):
    response = manager_page(request_for(make_member(role=Role.CASHIER)))
    assert response.status_code == 403
    assert b"Your role does not allow this page." in response.content


def test_member_gets_tenant_and_membership(make_member):
    member = make_member(role=Role.MANAGER)
    response = manager_page(request_for(member))
    assert response.content.decode() == f"{member.tenant.slug}:MANAGER"


def test_viewer_has_no_till(make_member):
    assert till_page(request_for(make_member(role=Role.VIEWER))).status_code == 403
    assert till_page(request_for(make_member(role=Role.CASHIER))).status_code == 200


def test_deactivated_member_is_sent_to_sign_in(make_member):
    member = make_member(role=Role.OWNER)
    request = request_for(member)
    member.is_active = False
    member.save()
    response = manager_page(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")
