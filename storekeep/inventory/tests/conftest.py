"""Fixtures of the stock-engine tests (non-autouse: the inventory API tests share this folder)."""

from decimal import Decimal

import pytest

from storekeep.testing import factories


@pytest.fixture
def lot_variant(tenant):
    """A lot-tracked variant (FEFO, SPEC §7)."""
    return factories.VariantFactory(
        tenant=tenant, sku="MILK-1L", track_lots=True, cost=Decimal("0.50")
    )


@pytest.fixture
def variant_b(tenant):
    return factories.VariantFactory(tenant=tenant, sku="MUG-BLUE", cost=Decimal("3.00"))
