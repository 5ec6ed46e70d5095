"""Make the demo tenant look like a shop at the till (seed_demo): UK VAT categories on the real
products, EAN-13 barcodes, costs from a plausible margin, two vendors, meaningful reorder points.

The Online Retail data has names and sale prices only. Everything here is idempotent and
deterministic (derived from the variant's own id), so running seed_demo again changes nothing.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from storekeep.catalog.models import Product, TaxCategory, Variant
from storekeep.inventory.models import InventoryItem
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.purchasing.models import Vendor, VendorVariant

#: UK VAT: children's clothing and baby bibs are zero-rated (HMRC VAT Notice 714);
#: the rest of this giftware range is standard-rated.
ZERO_RATED = re.compile(r"KIDS RAIN MAC|BABY BIB|CHILDRENS GARDEN GLOVES", re.I)
STANDARD_RATE = Decimal("20")
#: Cost as a share of the price: 45–60 %, spread by variant so margins differ.
COST_SHARES = (Decimal("0.45"), Decimal("0.50"), Decimal("0.55"), Decimal("0.60"))
VENDORS = (
    ("REGENCY", "Regency Giftware Ltd", "orders@regency-giftware.example", 5),
    ("HARBOUR", "Harbour Paper & Textiles", "sales@harbour-paper.example", 3),
)
STORE_REORDER = (Decimal("4"), Decimal("12"))  # reorder point, reorder quantity
WAREHOUSE_REORDER = (Decimal("50"), Decimal("96"))
ZERO_RATED_STORE_QTY = Decimal("6")
SEED_REF = "seed-demo-zero-rated"


def ean13(body: str) -> str:
    """``body`` (12 digits) with its EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


@transaction.atomic
def dress_demo_catalog(*, tenant) -> dict:
    """VAT categories, barcodes and costs on the demo's catalog, before it is stocked
    (idempotent). Returns counts: ``{"zero_rated", "barcodes", "costed"}``."""
    standard, _ = TaxCategory.objects.get_or_create(
        tenant=tenant, name="Standard rate (20%)", defaults={"rate": STANDARD_RATE}
    )
    zero, _ = TaxCategory.objects.get_or_create(
        tenant=tenant, name="Zero rate (0%)", defaults={"rate": Decimal("0")}
    )
    products = list(Product.objects.filter(tenant=tenant, tax_category__isnull=True))
    zero_ids = {p.pk for p in products if ZERO_RATED.search(p.name)}
    Product.objects.filter(pk__in=zero_ids).update(tax_category=zero)
    Product.objects.filter(pk__in=[p.pk for p in products if p.pk not in zero_ids]).update(
        tax_category=standard
    )

    variants = list(
        Variant.objects.filter(tenant=tenant).filter(Q(barcode__isnull=True) | Q(cost=0))
    )
    barcodes = costed = 0
    for variant in variants:
        if variant.barcode is None:
            variant.barcode = ean13(f"50{variant.pk:010d}")
            barcodes += 1
        if variant.cost == 0 and variant.price > 0:
            share = COST_SHARES[variant.pk % len(COST_SHARES)]
            variant.cost = (variant.price * share).quantize(Decimal("0.0001"))
            costed += 1
    Variant.objects.bulk_update(variants, ["barcode", "cost"], batch_size=500)
    return {"zero_rated": len(zero_ids), "barcodes": barcodes, "costed": costed}


@transaction.atomic
def dress_demo_stock(*, tenant, store, warehouse) -> dict:
    """The zero-rated range on the store's shelf, reorder points on the store and the
    warehouse, two vendors for what the store sells (idempotent). Returns
    ``{"vendor_links"}``."""
    zero = TaxCategory.objects.get(tenant=tenant, name="Zero rate (0%)")
    stocked = set(
        InventoryItem.objects.filter(tenant=tenant, location=store).values_list(
            "variant_id", flat=True
        )
    )
    zero_rated_variants = list(
        Variant.objects.filter(tenant=tenant, product__tax_category=zero, is_active=True)
    )
    missing = [v for v in zero_rated_variants if v.pk not in stocked]
    if missing:
        receive_stock(
            tenant=tenant,
            location_id=store.pk,
            ref_id=SEED_REF,
            reason="initial",
            note="demo opening stock (zero-rated children's range)",
            lines=[
                ReceiptLine(variant_id=v.pk, qty=ZERO_RATED_STORE_QTY, unit_cost=v.cost or None)
                for v in missing
            ],
        )
    for location, (point, qty) in ((store, STORE_REORDER), (warehouse, WAREHOUSE_REORDER)):
        InventoryItem.objects.filter(tenant=tenant, location=location).update(
            reorder_point=point, reorder_qty=qty
        )

    vendors = []
    for code, name, email, lead_time in VENDORS:
        vendor, _ = Vendor.objects.get_or_create(
            tenant=tenant,
            code=code,
            defaults={"name": name, "email": email, "lead_time_days": lead_time},
        )
        vendors.append(vendor)
    linked = set(VendorVariant.objects.filter(tenant=tenant).values_list("variant_id", flat=True))
    in_store = Variant.objects.filter(
        tenant=tenant, pk__in=set(stocked) | {v.pk for v in zero_rated_variants}
    ).exclude(pk__in=linked)
    links = [
        VendorVariant(
            tenant=tenant,
            vendor=vendors[1]
            if variant.product.tax_category_id == zero.pk or variant.pk % 3 == 0
            else vendors[0],
            variant=variant,
            vendor_sku=f"{code_of(variant)}",
            unit_cost=variant.cost,
            is_preferred=True,
        )
        for variant in in_store.select_related("product")
    ]
    VendorVariant.objects.bulk_create(links)
    return {"vendor_links": len(links)}


def code_of(variant) -> str:
    return f"V-{variant.sku}"[:64]
