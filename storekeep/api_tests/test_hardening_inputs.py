"""Inputs that used to answer 500 or an HTML page now get the JSON error shape (SPEC §10)."""

import logging

import pytest
from rest_framework.test import APIClient

from storekeep.catalog.views import VariantViewSet

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "details"}


def deep(levels: int, open_="[", close="]") -> str:
    return open_ * levels + close * levels


@pytest.mark.parametrize("body", [deep(1000), deep(100_000), '{"a":' * 1000 + "1" + "}" * 1000])
def test_deeply_nested_json_on_the_unauthenticated_login_is_400(body):
    response = APIClient().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_deeply_nested_json_on_a_command_is_400(manager_client, store):
    body = f'{{"location_id": {store.pk}, "lines": {deep(200)}}}'
    response = manager_client.post(
        "/api/v1/inventory/receipts", body, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"


def test_ordinary_nesting_is_still_accepted(owner_client):
    response = owner_client.post(
        "/api/v1/locations",
        {"code": "N1", "name": "Nested", "type": "STORE", "settings": {"a": {"b": {"c": [1]}}}},
        format="json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/inventory/transfers",
        "/api/v1/inventory/counts",
        "/api/v1/purchasing/orders",
        "/api/v1/purchasing/vendors",
        "/api/v1/pos/checkout",
        "/api/v1/variants",
    ],
)
def test_options_is_answered(owner_client, path):
    response = owner_client.options(path)
    assert response.status_code in (200, 405)
    assert response.status_code != 500


def test_a_body_over_the_limit_is_413_in_the_json_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = APIClient().post(
        "/api/v1/auth/token", '{"username": "%s"}' % ("x" * 5000), content_type="application/json"
    )
    assert response.status_code == 413
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["code"] == "payload_too_large"


def test_an_unexpected_error_is_a_json_500_with_a_request_id_and_a_logged_traceback(
    owner_client, monkeypatch, caplog, settings
):
    assert settings.DEBUG is False

    def boom(self, request, *args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(VariantViewSet, "list", boom)
    owner_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="storekeep.request"):
        response = owner_client.get("/api/v1/variants")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == "server_error"
    request_id = body["details"]["request_id"]
    assert request_id and response["X-Request-ID"] == request_id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info and "kaboom" in str(logged[0].exc_info[1])


def test_every_response_carries_a_request_id_and_a_sane_client_id_is_kept(owner_client):
    assert owner_client.get("/api/v1/auth/me")["X-Request-ID"]
    kept = owner_client.get("/api/v1/auth/me", HTTP_X_REQUEST_ID="till-42.abc")
    assert kept["X-Request-ID"] == "till-42.abc"
    replaced = owner_client.get("/api/v1/auth/me", HTTP_X_REQUEST_ID="<script>")
    assert replaced["X-Request-ID"] != "<script>"
