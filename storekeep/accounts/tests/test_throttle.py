"""Sign-in throttling (django-axes) on POST /api/v1/auth/token and check_credentials (SPEC §10)."""

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from storekeep.accounts.models import ApiToken
from storekeep.accounts.throttle import check_credentials
from storekeep.core.errors import NotAuthenticated, Throttled
from storekeep.tenants.models import Role

URL = "/api/v1/auth/token"
LIMIT = 10


@pytest.fixture
def owner(tenant, make_member):
    return make_member(role=Role.OWNER, tenant=tenant, username="alice")


def login(password="wrong", username="alice", ip="10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        URL, {"username": username, "password": password}, format="json"
    )


def test_after_the_limit_of_failures_even_the_right_password_gets_429(owner, settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    for _ in range(LIMIT - 1):
        assert login().status_code == 401
    locked = login()
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "too_many_attempts"
    retry_after = int(locked["Retry-After"])
    assert body["details"]["retry_after"] == retry_after
    assert 0 < retry_after <= settings.AXES_COOLOFF_TIME.total_seconds()

    right = login(password="pass")
    assert right.status_code == 429 and right.json()["code"] == "too_many_attempts"
    assert ApiToken.objects.count() == 0


def test_the_limit_counts_per_username_from_any_address(owner):
    for n in range(LIMIT):
        login(ip=f"10.0.1.{n}")
    assert login(password="pass", ip="10.0.2.1").status_code == 429


def test_the_limit_counts_per_address_over_any_username(owner):
    for n in range(LIMIT):
        login(username=f"guess{n}", ip="10.9.9.9")
    assert login(password="pass", ip="10.9.9.9").status_code == 429
    assert login(password="pass", ip="10.0.0.2").status_code == 201


def test_only_failures_count(owner):
    for _ in range(LIMIT * 2):
        assert login(password="pass").status_code == 201
    for _ in range(LIMIT - 1):
        assert login().status_code == 401
    assert login(password="pass").status_code == 201


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_limit_is_a_setting(owner):
    for _ in range(2):
        assert login().status_code == 401
    assert login().status_code == 429


def test_the_counters_start_at_zero_in_every_test_first(owner):
    for _ in range(LIMIT - 1):
        assert login().status_code == 401


def test_the_counters_start_at_zero_in_every_test_second(owner):
    for _ in range(LIMIT - 1):
        assert login().status_code == 401
    assert login(password="pass").status_code == 201


def test_check_credentials_raises_401_then_429(owner):
    request = RequestFactory().post("/web/sign-in", REMOTE_ADDR="10.3.3.3")
    assert check_credentials(request=request, username="alice", password="pass") == owner.user
    for _ in range(LIMIT - 1):
        with pytest.raises(NotAuthenticated) as failed:
            check_credentials(request=request, username="alice", password="nope")
        assert failed.value.code == "invalid_credentials" and failed.value.status_code == 401
    with pytest.raises(Throttled):
        check_credentials(request=request, username="alice", password="nope")
    with pytest.raises(Throttled) as throttled:
        check_credentials(request=request, username="alice", password="pass")
    assert throttled.value.status_code == 429 and throttled.value.code == "too_many_attempts"
    assert throttled.value.details["retry_after"] > 0
    assert throttled.value.headers["Retry-After"] == str(throttled.value.details["retry_after"])


@override_settings(STOREKEEP_TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_forwarded_address_is_counted(owner):
    def via_proxy(client_ip, password="wrong"):
        return APIClient(
            REMOTE_ADDR="192.168.0.1", HTTP_X_FORWARDED_FOR=f"spoofed, {client_ip}"
        ).post(URL, {"username": f"u-{client_ip}", "password": password}, format="json")

    for _ in range(LIMIT):
        via_proxy("10.7.7.7")
    assert via_proxy("10.7.7.7").status_code == 429
    assert via_proxy("10.8.8.8").status_code == 401


def test_token_responses_are_not_cached(owner):
    response = login(password="pass")
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"


def test_a_password_change_revokes_the_users_tokens(owner):
    raw = login(password="pass").json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/auth/me").status_code == 200

    user = owner.user
    user.last_name = "unchanged password"
    user.save()
    assert api.get("/api/v1/auth/me").status_code == 200

    user.set_password("a new secret")
    user.save()
    assert api.get("/api/v1/auth/me").status_code == 401
    assert login(password="a new secret").status_code == 201


def test_the_schema_documents_429_with_retry_after():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    post = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "429" in post["responses"]
    assert "Retry-After" in post["responses"]["429"]["headers"]
