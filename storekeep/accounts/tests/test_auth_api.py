"""POST/DELETE /api/v1/auth/token and GET /api/v1/auth/me (SPEC §10)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from storekeep.accounts.models import ApiToken, hash_token
from storekeep.tenants.models import Role
from storekeep.testing import factories

URL = "/api/v1/auth/token"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def owner(tenant, make_member):
    return make_member(role=Role.OWNER, tenant=tenant, username="alice")


def login(api, **body):
    return api.post(URL, body, format="json")


def test_login_issues_a_hashed_expiring_token_scoped_to_the_membership(api, owner, tenant):
    response = login(api, username="alice", password="pass")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["tenant"] == {"id": tenant.pk, "slug": "acme", "name": "Acme Retail"}
    assert body["role"] == "OWNER"
    assert body["user"] == {"id": owner.user.pk, "username": "alice"}
    token = ApiToken.objects.get(membership=owner)
    assert token.key_hash == hash_token(body["token"]) and body["token"] not in token.key_hash
    assert token.expires_at > timezone.now() + timedelta(hours=1)

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    me = api.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["tenant"]["slug"] == "acme" and me.json()["role"] == "OWNER"
    assert me.json()["location_ids"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "pass"},
        {"username": "alice", "password": "pass", "tenant": "no-such-tenant"},
        {
            "username": "alice",
            "password": "pass",
            "tenant": "rival",
        },  # exists, but alice is not a member
    ],
)
def test_bad_credentials_or_tenant_answer_401_invalid_credentials(api, owner, other_tenant, body):
    response = login(api, **body)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert ApiToken.objects.count() == 0


def test_inactive_user_or_membership_cannot_log_in(api, owner):
    owner.is_active = False
    owner.save()
    assert login(api, username="alice", password="pass").status_code == 401


def test_user_in_several_tenants_must_name_one(api, owner, tenant, other_tenant):
    factories.MembershipFactory(tenant=other_tenant, user=owner.user, role=Role.VIEWER)
    response = login(api, username="alice", password="pass")
    assert response.status_code == 400
    assert response.json()["code"] == "tenant_required"
    assert response.json()["details"]["tenants"] == ["acme", "rival"]

    chosen = login(api, username="alice", password="pass", tenant="rival")
    assert chosen.status_code == 201
    assert chosen.json()["tenant"]["slug"] == "rival" and chosen.json()["role"] == "VIEWER"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "alice"},
        {"password": "pass"},
        [],
        "x",
        {"username": ["alice"], "password": "pass"},
    ],
)
def test_malformed_login_bodies_are_400(api, owner, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "details"}


def test_login_ignores_a_stale_authorization_header(api, owner):
    api.credentials(HTTP_AUTHORIZATION="Bearer sk_1_revoked-or-garbage")
    assert login(api, username="alice", password="pass").status_code == 201


def test_logout_revokes_the_presented_token_only(api, owner):
    first = login(api, username="alice", password="pass").json()["token"]
    second = login(api, username="alice", password="pass").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
    assert api.delete(URL).status_code == 204
    after = api.get("/api/v1/auth/me")
    assert after.status_code == 401 and after.json()["code"] == "not_authenticated"
    assert api.delete(URL).status_code == 401

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {second}")
    assert api.get("/api/v1/auth/me").status_code == 200


def test_expired_token_is_rejected(api, owner):
    raw = login(api, username="alice", password="pass").json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer nonsense",
        "Bearer sk_x_y",
        "Bearer sk_999_abc",
        "Basic YWxpY2U6cGFzcw==",
    ],
)
def test_missing_or_garbage_credentials_are_401(api, owner, header):
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_token_of_one_tenant_cannot_be_replayed_as_another(api, owner, other_tenant):
    raw = login(api, username="alice", password="pass").json()["token"]
    forged = raw.replace(f"sk_{owner.tenant_id}_", f"sk_{other_tenant.pk}_", 1)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert api.get("/api/v1/auth/me").status_code == 401
