"""A sale read back (detail, void) renders exactly the body its checkout answered."""

import pytest
from rest_framework.test import APIClient

from storekeep.tenants.models import Role

from .factories import bearer, member

pytestmark = pytest.mark.django_db


def test_sale_detail_equals_the_checkout_receipt(world):
    manager = APIClient()
    manager.credentials(HTTP_AUTHORIZATION=bearer(member(world.tenant, Role.MANAGER)))
    sold = manager.post(
        "/api/v1/pos/checkout",
        {
            "location_id": world.store.pk,
            "lines": [
                {"variant_id": world.variants[0].pk, "qty": "2", "discount_percent": "10"},
                {"variant_id": world.variants[1].pk, "qty": "1.5"},
            ],
            "tenders": [{"method": "CASH", "amount": "1000.00"}],
            "external_ref": "EXT-1",
        },
        format="json",
    )
    assert sold.status_code == 201, sold.json()
    detail = manager.get(f"/api/v1/pos/sales/{sold.json()['sale_id']}")
    assert detail.status_code == 200
    assert detail.json() == sold.json()
    assert list(detail.json()) == list(sold.json())
