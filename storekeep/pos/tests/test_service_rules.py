"""Rules the POS views and admin delegate to services (checkout source, SKU entry)."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from storekeep.core.errors import NotFound, PermissionDenied
from storekeep.pos.models import Sale
from storekeep.pos.services import checkout_source, sale_record_by_sku
from storekeep.tenants.models import Role

from .factories import bearer, member

pytestmark = pytest.mark.django_db


def test_checkout_source_rule(world):
    cashier = member(world.tenant, Role.CASHIER)
    manager = member(world.tenant, Role.MANAGER)
    integration = member(world.tenant, Role.INTEGRATION, locations=[world.store])
    viewer = member(world.tenant, Role.VIEWER)
    assert checkout_source(membership=cashier, requested="IMPORT", at_till=True) == "POS"
    assert checkout_source(membership=manager, requested=None, at_till=False) == "API"
    assert checkout_source(membership=manager, requested="IMPORT", at_till=False) == "IMPORT"
    assert (
        checkout_source(
            membership=integration, requested=None, at_till=False, location_id=world.store.pk
        )
        == "API"
    )
    with pytest.raises(PermissionDenied) as refused:  # issue 12 item 4: only at a till
        checkout_source(membership=cashier, requested=None, at_till=False)
    assert refused.value.code == "register_session_required"
    for who, requested, location_id in (
        (viewer, None, None),
        (integration, "IMPORT", world.store.pk),
        (integration, None, world.store.pk + 1000),
    ):
        with pytest.raises(PermissionDenied) as refused:
            checkout_source(
                membership=who, requested=requested, at_till=False, location_id=location_id
            )
        assert refused.value.code == "permission_denied"


def test_a_cashier_cannot_record_import_sales_over_the_api(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=bearer(member(world.tenant, Role.CASHIER)))
    body = {
        "location_id": world.store.pk,
        "source": "IMPORT",
        "lines": [{"variant_id": world.variants[0].pk, "qty": "1"}],
    }
    refused = api.post("/api/v1/pos/checkout", body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "register_session_required"
    assert not Sale.objects.filter(tenant=world.tenant).exists()


def test_sale_by_sku_names_unknown_skus_and_sells_known_ones(world):
    with pytest.raises(NotFound) as exc:
        sale_record_by_sku(
            tenant=world.tenant, location=world.store, lines=[("NOPE-1", D("1"), None)]
        )
    assert exc.value.details == {"skus": ["NOPE-1"]}
    result = sale_record_by_sku(
        tenant=world.tenant,
        location=world.store,
        lines=[(world.variants[0].sku, D("2"), D("9.50"))],
    )
    assert result.sale.source == Sale.Source.ADMIN and result.sale.total == D("19.00")
