"""Sales happen at a till (issue 12 item 4): a CASHIER sells only through an open register
session; ``source=API`` sales need a MANAGER/OWNER or an INTEGRATION member at a store they are
assigned to; INTEGRATION has no till; a deactivated cashier's register token stops (401)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from storekeep.locations.models import Location
from storekeep.pos.models import RegisterSession, Sale
from storekeep.pos.services import register_session_open
from storekeep.tenants.models import Role
from storekeep.testing.factories import LocationFactory

from .factories import bearer, member

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/pos/checkout"


def client(header) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    return api


def cart(world, location=None, **extra) -> dict:
    body = {
        "lines": [{"variant_id": world.variants[0].pk, "qty": "1"}],
        "tenders": [{"method": "CARD", "amount": str(world.variants[0].price)}],
        **extra,
    }
    if location is not None:
        body["location_id"] = location.pk
    return body


def test_a_cashier_with_a_bearer_token_cannot_sell(world):
    api = client(bearer(world.cashier))
    response = api.post(CHECKOUT, cart(world, world.store), format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "register_session_required"
    response = api.post(CHECKOUT, cart(world), format="json")  # no location either
    assert response.json()["code"] == "register_session_required"
    assert not Sale.objects.filter(tenant=world.tenant).exists()


def test_the_same_cashier_sells_at_the_till(world):
    _, header = world.open_session()
    response = client(header).post(CHECKOUT, cart(world), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "POS"


def test_integration_sells_through_the_api_at_its_store_only(world):
    integration = member(world.tenant, Role.INTEGRATION, locations=[world.store])
    elsewhere = LocationFactory(tenant=world.tenant, code="MAN", type=Location.Type.STORE)
    api = client(bearer(integration))
    response = api.post(CHECKOUT, cart(world, world.store, external_ref="web-1"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "API" and response.json()["external_ref"] == "web-1"
    response = api.post(CHECKOUT, cart(world, elsewhere), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    response = api.post(CHECKOUT, cart(world, world.store, source="IMPORT"), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Sale.objects.filter(tenant=world.tenant).count() == 1


def test_integration_quotes_and_reads_stock(world):
    integration = member(world.tenant, Role.INTEGRATION, locations=[world.store])
    api = client(bearer(integration))
    assert api.post("/api/v1/pos/quote", cart(world), format="json").status_code == 200
    assert api.get("/api/v1/inventory/stock").status_code == 200
    assert api.get("/api/v1/pos/sales").status_code == 200


def test_manager_sells_through_the_api(world):
    response = client(bearer(world.manager)).post(CHECKOUT, cart(world, world.store), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "API"


def test_viewer_cannot_sell(world):
    viewer = member(world.tenant, Role.VIEWER)
    response = client(bearer(viewer)).post(CHECKOUT, cart(world, world.store), format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_another_tenants_location_is_404_not_403(world):
    other = build_other_location()
    integration = member(world.tenant, Role.INTEGRATION)
    response = client(bearer(integration)).post(CHECKOUT, cart(world, other), format="json")
    assert response.status_code == 404


def build_other_location():
    from storekeep.testing.factories import TenantFactory

    return LocationFactory(tenant=TenantFactory(), code="ELSE")


def test_integration_has_no_till(world):
    integration = member(world.tenant, Role.INTEGRATION)
    api = client(bearer(integration))
    response = api.post(
        f"/api/v1/pos/registers/{world.register.pk}/sessions",
        {"opening_float": "0"},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert not RegisterSession.objects.filter(tenant=world.tenant).exists()
    from storekeep.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        register_session_open(membership=integration, register=world.register)


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("post", "/api/v1/inventory/adjustments", {}),
        ("post", "/api/v1/inventory/transfers", {}),
        ("post", "/api/v1/pos/returns", {"lines": []}),
        ("patch", "/api/v1/tenant", {"name": "Hacked"}),
        ("post", "/api/v1/staff", {}),
    ],
)
def test_integration_writes_nothing_else(world, method, url, body):
    integration = member(world.tenant, Role.INTEGRATION)
    response = getattr(client(bearer(integration)), method)(url, body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"


def test_deactivating_a_cashier_stops_their_register_token_with_401(world):
    _, header = world.open_session()
    till = client(header)
    assert till.get("/api/v1/pos/sales").status_code == 200
    owner = member(world.tenant, Role.OWNER)
    response = client(bearer(owner)).patch(
        f"/api/v1/staff/{world.cashier.pk}", {"is_active": False}, format="json"
    )
    assert response.status_code == 200, response.content
    response = till.post(CHECKOUT, cart(world), format="json")
    assert response.status_code == 401, response.content
    assert not Sale.objects.filter(tenant=world.tenant).exists()
