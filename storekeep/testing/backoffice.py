"""Fixtures of back-office page tests with Django's test client (SPEC §11).

``web_client(role=…, locations=(), tenant_=None)`` → a ``Client`` signed in (session)
as a new member of ``tenant`` (or ``tenant_``) with that role and locations;
``client.membership`` is the member.
"""

from __future__ import annotations

import pytest
from django.test import Client

from storekeep.tenants.models import Role

TENANT_SESSION_KEY = "storekeep_tenant_id"


@pytest.fixture
def web_client(make_member, tenant):
    def make(role=Role.OWNER, locations=(), tenant_=None):
        membership = make_member(role=role, tenant=tenant_ or tenant, locations=locations)
        client = Client()
        client.force_login(membership.user)
        session = client.session
        session[TENANT_SESSION_KEY] = membership.tenant_id
        session["membership_id"] = membership.pk
        session.save()
        client.membership = membership
        return client

    return make


PRODUCTS = [
    # sku, name, barcode, price, cost, on hand at the store, at the warehouse, reorder point
    ("85123A", "White hanging heart T-light holder", "5012345000011", "2.95", "1.20", 48, 200, 20),
    ("71053", "White metal lantern", "5012345000028", "3.75", "1.60", 6, 40, 10),
    ("84406B", "Cream cupid hearts coat hanger", "5012345000035", "2.75", "1.10", 14, 0, 8),
    ("84029G", "Knitted union flag hot water bottle", "5012345000042", "3.75", "1.70", 2, 24, 6),
    ("22752", "Set 7 babushka nesting boxes", "5012345000059", "7.65", "3.40", 0, 12, 4),
    ("21730", "Glass star frosted T-light holder", "5012345000066", "4.25", "1.90", 31, 60, 12),
    ("22633", "Hand warmer union jack", "5012345000073", "1.85", "0.70", 72, 300, 24),
    ("84879", "Assorted colour bird ornament", "5012345000080", "1.69", "0.60", 120, 500, 36),
]


@pytest.fixture
def shop(tenant, store, warehouse):
    """A small gift shop as a merchant would set it up: a store and a warehouse, eight
    products in two categories with stock, reorder points and a preferred vendor, a
    register with a week of sales and a closed session (its Z report), one transfer on
    its way. Returns a namespace with ``store``, ``warehouse``, ``variants`` (by SKU),
    ``vendor``, ``register``, ``cashier`` (a member), ``sales``, ``transfer``."""
    import datetime as dt
    from decimal import Decimal as D
    from types import SimpleNamespace

    from django.utils import timezone

    from storekeep.catalog.models import Category, TaxCategory
    from storekeep.inventory.services import (
        AdjustmentLine,
        ReceiptLine,
        adjust_stock,
        receive_stock,
    )
    from storekeep.inventory.services.transfers import (
        TransferLineInput,
        transfer_create,
        transfer_send,
    )
    from storekeep.pos.models import Register
    from storekeep.pos.services import CartLine, Tender, checkout
    from storekeep.pos.services.sessions import register_session_close, register_session_open
    from storekeep.purchasing.models import Vendor, VendorVariant
    from storekeep.testing import factories

    vat = TaxCategory.objects.create(tenant=tenant, name="Standard VAT", rate=D("20"))
    home = Category.objects.create(tenant=tenant, name="Home decor")
    gifts = Category.objects.create(tenant=tenant, name="Gifts")
    vendor = Vendor.objects.create(
        tenant=tenant, name="Cotswold Wholesale", email="orders@cw.example"
    )
    variants = {}
    for index, (sku, name, barcode, price, cost, at_store, at_wh, point) in enumerate(PRODUCTS):
        product = factories.ProductFactory(
            tenant=tenant, name=name, category=home if index % 2 == 0 else gifts, tax_category=vat
        )
        variant = factories.VariantFactory(
            tenant=tenant,
            product=product,
            sku=sku,
            barcode=barcode,
            price=D(price),
            cost=D(cost),
            reorder_point=D(point),
            reorder_qty=D(point * 3),
        )
        variants[sku] = variant
        VendorVariant.objects.create(
            tenant=tenant, vendor=vendor, variant=variant, unit_cost=D(cost)
        )
        start = timezone.now() - dt.timedelta(days=20)
        for location, qty in ((store, at_store + 20), (warehouse, at_wh)):
            if qty:
                receive_stock(
                    tenant=tenant,
                    location_id=location.pk,
                    lines=[ReceiptLine(variant_id=variant.pk, qty=D(qty), unit_cost=D(cost))],
                    ref_id="DN-1001",
                    occurred_at=start,
                )
    register = Register.objects.create(tenant=tenant, location=store, code="T1", name="Front till")
    cashier = factories.MembershipFactory(tenant=tenant, role="CASHIER", user__username="sam")
    cashier.locations.set([store])
    session, _ = register_session_open(
        membership=cashier, register=register, opening_float=D("100")
    )
    sales = []
    skus = list(variants)
    for day in range(7, 0, -1):
        moment = timezone.now() - dt.timedelta(days=day, hours=2)
        for n in range(1 + day % 3):
            variant = variants[skus[(day + n) % len(skus)]]
            on_hand = variant.inventory_items.get(location=store).on_hand
            qty = D(min(max(int(on_hand) - 1, 0), 2 + n))
            if not qty:
                continue
            sales.append(
                checkout(
                    tenant=tenant,
                    register_session=session,
                    actor=cashier.user,
                    lines=[CartLine(variant_id=variant.pk, qty=qty)],
                    tenders=[Tender("CASH", D("100.00"))],
                    completed_at=moment,
                ).sale
            )
    counted = D("100.00") + sum((sale.total for sale in sales), D("0")) - D("2.50")
    register_session_close(session=session, counted_cash=counted, actor=cashier.user)
    adjust_stock(  # a stock count brings the store to the figures above
        tenant=tenant,
        location_id=store.pk,
        lines=[
            AdjustmentLine(variant_id=variants[row[0]].pk, on_hand=D(row[5])) for row in PRODUCTS
        ],
        reason="correction",
        note="shelf count",
        occurred_at=timezone.now() - dt.timedelta(hours=20),
    )
    transfer = transfer_create(
        tenant=tenant,
        from_location_id=warehouse.pk,
        to_location_id=store.pk,
        lines=[
            TransferLineInput(variant_id=variants["84029G"].pk, qty=D("12")),
            TransferLineInput(variant_id=variants["22752"].pk, qty=D("6")),
        ],
        note="Weekly top-up",
    )
    transfer_send(tenant=tenant, transfer_id=transfer.pk)
    return SimpleNamespace(
        tenant=tenant,
        store=store,
        warehouse=warehouse,
        variants=variants,
        vendor=vendor,
        register=register,
        cashier=cashier,
        sales=sales,
        transfer=transfer,
    )
