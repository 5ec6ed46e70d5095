"""Idempotency records belong to their caller and never hold a secret (SPEC §3.8, §10)."""

import json

import pytest
from rest_framework.test import APIClient

from storekeep.core.models import IdempotencyRecord
from storekeep.pos.models import RegisterSession, Sale
from storekeep.pos.tests.factories import (
    LocationFactory,
    RegisterFactory,
    bearer,
    build_world,
    member,
)
from storekeep.tenants.models import Role

pytestmark = pytest.mark.django_db


def client(auth, key=None):
    c = APIClient()
    headers = {"HTTP_AUTHORIZATION": auth}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    c.credentials(**headers)
    return c


def open_session(auth, register, key="open-1"):
    return client(auth, key).post(
        f"/api/v1/pos/registers/{register.pk}/sessions", {"opening_float": "50.00"}, format="json"
    )


def sell(token, variant):
    return client(f"Register {token}").post(
        "/api/v1/pos/checkout",
        {
            "lines": [{"variant_id": variant.pk, "qty": "1"}],
            "tenders": [{"method": "CASH", "amount": "100.00"}],
        },
        format="json",
    )


def test_a_cashier_of_another_store_replaying_a_colleagues_key_gets_422_and_no_token():
    world = build_world()
    other_store = LocationFactory(tenant=world.tenant, code="MAN")
    other_register = RegisterFactory(tenant=world.tenant, location=other_store, code="T9")
    intruder = member(world.tenant, Role.CASHIER, locations=[other_store])

    first = open_session(bearer(world.cashier), world.register)
    assert first.status_code == 201, first.json()

    attack = open_session(bearer(intruder), world.register)
    assert attack.status_code == 422
    assert attack.json()["code"] == "idempotency_key_reused"
    assert "token" not in json.dumps(attack.json())
    assert "Idempotent-Replayed" not in attack

    # the same key on the intruder's own register is refused too: the key is the colleague's
    assert open_session(bearer(intruder), other_register).status_code == 422
    # the colleague's till still works, nothing was opened for the intruder
    assert sell(first.json()["token"], world.variants[0]).status_code == 201
    assert RegisterSession.objects.filter(opened_by=intruder.user).count() == 0
    assert Sale.objects.filter(cashier=intruder.user).count() == 0


def test_no_raw_secret_is_stored_and_a_replay_answers_a_new_token_revoking_the_old():
    world = build_world()
    first = open_session(bearer(world.cashier), world.register)
    assert first.status_code == 201
    assert first["Cache-Control"] == "no-store"
    token = first.json()["token"]

    record = IdempotencyRecord.objects.get(key="open-1")
    assert token not in json.dumps(record.response_body)
    assert record.response_body["token"] is None and record.secret_fields == ["token"]
    assert record.membership_id == world.cashier.pk and record.credential == "ApiToken"

    replay = open_session(bearer(world.cashier), world.register)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Cache-Control"] == "no-store"
    assert set(replay.json()) == set(first.json())
    assert replay.json()["session_id"] == first.json()["session_id"]
    new_token = replay.json()["token"]
    assert new_token and new_token != token
    assert RegisterSession.objects.filter(register=world.register).count() == 1

    assert sell(token, world.variants[0]).status_code == 401
    assert sell(new_token, world.variants[0]).status_code == 201
    assert new_token not in json.dumps(IdempotencyRecord.objects.get(key="open-1").response_body)


def test_a_replay_rechecks_the_callers_rights_before_minting_a_token():
    world = build_world()
    first = open_session(bearer(world.cashier), world.register)
    assert first.status_code == 201
    world.cashier.locations.set([LocationFactory(tenant=world.tenant, code="ELSE")])
    replay = open_session(bearer(world.cashier), world.register)
    assert replay.status_code == 403
    assert sell(first.json()["token"], world.variants[0]).status_code == 403


def test_the_same_member_with_another_kind_of_credentials_cannot_replay():
    world = build_world()
    session = open_session(bearer(world.cashier), world.register, key="k0").json()
    body = {
        "lines": [{"variant_id": world.variants[0].pk, "qty": "1"}],
        "tenders": [{"method": "CASH", "amount": "100.00"}],
    }
    till = client(f"Register {session['token']}", key="sale-1")
    assert till.post("/api/v1/pos/checkout", body, format="json").status_code == 201
    assert till.post("/api/v1/pos/checkout", body, format="json").status_code == 201

    manager_bearer = client(bearer(world.manager), key="sale-1")
    r = manager_bearer.post(
        "/api/v1/pos/checkout", {**body, "location_id": world.store.pk}, format="json"
    )
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    cashier_bearer = client(bearer(world.cashier), key="sale-1")
    r = cashier_bearer.post("/api/v1/pos/checkout", body, format="json")
    assert r.status_code in (403, 422)
    assert Sale.objects.count() == 1
