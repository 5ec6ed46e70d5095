"""A small shop for the till's tests: a store with a till, VAT-rated products with barcodes
and stock, and helpers to sign a Django test client in as a member."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.test import Client

from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.pos.models import Register
from storekeep.testing import factories
from storekeep.web.access import TENANT_SESSION_KEY


@dataclass
class Shop:
    tenant: object
    store: object
    register: object
    mug: object
    tea: object
    frame: object
    variants: list


def build_shop(tenant, *, extra_variants: int = 0, stock_qty: int = 50) -> Shop:
    """The shop lets a cashier give up to 10 % off alone; voids need a manager (the default)."""
    tenant.max_cashier_discount_percent = Decimal("10")
    tenant.save(update_fields=["max_cashier_discount_percent"])
    store = factories.LocationFactory(tenant=tenant, code="HS", name="High Street")
    register = Register.objects.create(tenant=tenant, location=store, code="T1", name="Till 1")
    standard = factories.TaxCategoryFactory(tenant=tenant, name="Standard rate", rate=Decimal("20"))
    zero = factories.TaxCategoryFactory(tenant=tenant, name="Zero rate", rate=Decimal("0"))

    def variant(sku, name, price, barcode, tax):
        product = factories.ProductFactory(tenant=tenant, name=name, tax_category=tax)
        return factories.VariantFactory(
            tenant=tenant, product=product, sku=sku, price=Decimal(price), barcode=barcode
        )

    mug = variant("MUG-RED", "Red enamel mug", "8.50", "5012345678900", standard)
    tea = variant("TEA-EARL", "Earl Grey tea 250g", "4.20", "5012345678917", zero)
    frame = variant("FRAME-A4", "Oak photo frame A4", "24.00", "5012345678924", standard)
    variants = [mug, tea, frame] + [
        variant(f"ITEM-{i:03d}", f"Item {i:03d}", "1.00", f"50000000{i:05d}", standard)
        for i in range(extra_variants)
    ]
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        lines=[ReceiptLine(variant_id=v.pk, qty=Decimal(stock_qty)) for v in variants],
    )
    return Shop(tenant, store, register, mug, tea, frame, variants)


def signed_in_client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[TENANT_SESSION_KEY] = membership.tenant_id
    session.save()
    return client
