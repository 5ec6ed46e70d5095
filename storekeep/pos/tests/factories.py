"""Factories and a small world builder for point-of-sale tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import factory

from storekeep.accounts.models import ApiToken
from storekeep.catalog.models import TaxCategory, Variant
from storekeep.inventory.services.stock import ReceiptLine, receive_stock
from storekeep.locations.models import Location
from storekeep.pos.models import Register
from storekeep.pos.services import register_session_open
from storekeep.tenants.models import Membership, Role, Tenant
from storekeep.testing import factories
from storekeep.testing.factories import (  # noqa: F401  (re-exported for the POS tests)
    LocationFactory,
    ProductFactory,
    TaxCategoryFactory,
    TenantFactory,
    UserFactory,
)

D = Decimal


class VariantFactory(factories.VariantFactory):
    """The shared variant factory, with a barcode (tills scan them)."""

    barcode = factory.Sequence(lambda n: f"50000{n:08d}")


class RegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Register

    tenant = factory.SubFactory(TenantFactory)
    location = factory.SubFactory(LocationFactory, tenant=factory.SelfAttribute("..tenant"))
    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.Sequence(lambda n: f"Till {n}")


def member(tenant, role=Role.CASHIER, locations=(), username=None) -> Membership:
    user = UserFactory(**({"username": username} if username else {}))
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    if locations:
        membership.locations.set(locations)
    return membership


def bearer(membership) -> str:
    _, raw = ApiToken.issue(membership=membership, ttl=timedelta(hours=1))
    return f"Bearer {raw}"


def stock(tenant, location, variant, qty, unit_cost=None):
    return receive_stock(
        tenant=tenant,
        location_id=location.pk,
        lines=[ReceiptLine(variant_id=variant.pk, qty=D(qty), unit_cost=unit_cost)],
        reason="initial",
    )


@dataclass
class World:
    """A tenant with a store, a register, a cashier, a manager and stocked variants."""

    tenant: Tenant
    store: Location
    register: Register
    cashier: Membership
    manager: Membership
    variants: list[Variant] = field(default_factory=list)
    vat: TaxCategory | None = None

    def open_session(self, membership=None, opening_float=None):
        session, raw = register_session_open(
            membership=membership or self.cashier,
            register=self.register,
            opening_float=D("100.00") if opening_float is None else opening_float,
        )
        return session, f"Register {raw}"


def build_world(
    *,
    prices_include_tax=True,
    n_variants=3,
    on_hand="100",
    currency="GBP",
    rate="20",
    unit="kg",
) -> World:
    """A tenant with a store, a till, ``n_variants`` stocked variants, a cashier and a manager.

    The variants are weighed goods (``unit`` kg) so quantities may carry decimals; pass
    ``unit="piece"`` for whole-number goods (issue 12 item 5).
    """
    tenant = TenantFactory(prices_include_tax=prices_include_tax, currency=currency)
    store = LocationFactory(tenant=tenant, code="LON")
    register = RegisterFactory(tenant=tenant, location=store, code="T1")
    vat = TaxCategoryFactory(tenant=tenant, rate=D(rate))
    variants = []
    for _ in range(n_variants):
        product = ProductFactory(tenant=tenant, tax_category=vat)
        variant = VariantFactory(tenant=tenant, product=product, unit=unit)
        if on_hand:
            stock(tenant, store, variant, on_hand, unit_cost=D("4.00"))
        variants.append(variant)
    cashier = member(tenant, Role.CASHIER, locations=[store])
    manager = member(tenant, Role.MANAGER)
    return World(
        tenant=tenant,
        store=store,
        register=register,
        cashier=cashier,
        manager=manager,
        variants=variants,
        vat=vat,
    )
