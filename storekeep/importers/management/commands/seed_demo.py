"""``manage.py seed_demo [--until YYYY-MM-DD | --full] [--quiet]``: the demo tenant behind ``make run``.

Idempotent: run it any number of times. Creates tenant ``demo`` with the owner
login ``demo`` / ``demo`` (a shop owner, not an admin user: issue 12 item 2), the
platform operator's admin login ``operator`` / ``demo`` (``is_staff`` superuser, no
tenant: the Django admin at ``/admin/`` is the operator's), a cashier
(``demo-cashier`` / ``demo``) assigned to the store, a STORE and a WAREHOUSE
location with a till, then loads the committed slice of the real Online
Retail data (``storekeep.importers.online_retail.load_demo``: catalog, opening
stock and the first three trading days — ``--full``: the whole committed week —
replayed through checkout, returns and adjustments at location ``WEB``), and
finally stocks the store and the warehouse with the best-selling products
through the stock engine. About 15 s of CPU by default (``--full``: about 25 s).
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Sum

from storekeep.catalog.models import Variant
from storekeep.core.db import analyze_apps
from storekeep.importers.demo_shop import dress_demo_catalog, dress_demo_stock
from storekeep.importers.online_retail.replay import load_demo
from storekeep.inventory.models import InventoryItem, LedgerRefType, StockLedger
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.locations.models import Location
from storekeep.pos.models import Register
from storekeep.tenants.models import Membership, Role, Tenant

SLUG = "demo"
PASSWORD = "demo"
#: The platform operator's login for the Django admin (no tenant membership).
OPERATOR = "operator"
SEED_REF = "seed-demo"
STOCKED_PRODUCTS = 40
#: Replay the slice up to this day by default (3 of its 6 trading days) so ``make run`` starts fast.
DEFAULT_UNTIL = date(2010, 12, 3)


def _user(username: str, *, operator: bool = False):
    """The demo login ``username`` (password ``demo``). Only the operator is an admin user: an
    earlier demo made the owner a superuser, so the flags are set on every run."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_password(PASSWORD)
    if created or (user.is_staff, user.is_superuser) != (operator, operator):
        user.is_staff = user.is_superuser = operator
        user.save()
    return user


@transaction.atomic
def seed_tenant() -> tuple[Tenant, Location, Location]:
    """Tenant, logins, locations and a till (idempotent)."""
    tenant, _ = Tenant.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name": "Demo Retail (UCI Online Retail data)",
            "currency": "GBP",
            "timezone": "Europe/London",
            "prices_include_tax": True,
        },
    )
    store, _ = Location.objects.get_or_create(
        tenant=tenant,
        code="STORE1",
        defaults={
            "name": "High Street store",
            "type": Location.Type.STORE,
            "is_default": True,
            "address": "1 High Street, London",
        },
    )
    warehouse, _ = Location.objects.get_or_create(
        tenant=tenant,
        code="WH1",
        defaults={
            "name": "Central warehouse",
            "type": Location.Type.WAREHOUSE,
            "address": "Unit 4, Park Royal, London",
        },
    )
    Membership.objects.get_or_create(
        tenant=tenant, user=_user("demo"), defaults={"role": Role.OWNER}
    )
    _user(OPERATOR, operator=True)
    cashier, created = Membership.objects.get_or_create(
        tenant=tenant, user=_user("demo-cashier"), defaults={"role": Role.CASHIER}
    )
    if created:
        cashier.locations.set([store])
    Register.objects.get_or_create(
        tenant=tenant, location=store, code="T1", defaults={"name": "Till 1"}
    )
    return tenant, store, warehouse


def stock_store_and_warehouse(tenant, store, warehouse) -> int:
    """Receive the best sellers into the store and the warehouse once (ledger ref ``seed-demo``)."""
    if StockLedger.objects.filter(
        tenant=tenant, ref_type=LedgerRefType.RECEIPT, ref_id=SEED_REF
    ).exists():
        return 0
    sold = (
        StockLedger.objects.filter(tenant=tenant, ref_type=LedgerRefType.SALE)
        .values("variant_id")
        .annotate(qty=Sum("qty_delta"))
        .order_by("qty", "variant_id")[:STOCKED_PRODUCTS]
    )
    variant_ids = [row["variant_id"] for row in sold]
    if (
        not variant_ids
    ):  # no replayed sales (e.g. --until before the first day): any stocked variants
        variant_ids = list(
            Variant.objects.filter(tenant=tenant, track_inventory=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:STOCKED_PRODUCTS]
        )
    # The real data has sale prices only: cost a product at 60 % of its price when it has no cost.
    costs = {
        pk: cost if cost > 0 else (price * Decimal("0.6")).quantize(Decimal("0.0001"))
        for pk, cost, price in Variant.objects.filter(pk__in=variant_ids).values_list(
            "pk", "cost", "price"
        )
    }
    receive_stock(
        tenant=tenant,
        location_id=warehouse.pk,
        ref_id=SEED_REF,
        reason="initial",
        note="demo opening stock",
        lines=[
            ReceiptLine(variant_id=v, qty=Decimal(48 + 12 * (i % 5)), unit_cost=costs[v] or None)
            for i, v in enumerate(variant_ids)
        ],
    )
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        ref_id=SEED_REF,
        reason="initial",
        note="demo opening stock",
        lines=[
            ReceiptLine(variant_id=v, qty=Decimal(2 + i % 9), unit_cost=costs[v] or None)
            for i, v in enumerate(variant_ids)
        ],
    )
    # Reorder points on the store's shelf so the low-stock list has something to show.
    InventoryItem.objects.filter(tenant=tenant, location=store, variant_id__in=variant_ids).update(
        reorder_point=Decimal("6"), reorder_qty=Decimal("24")
    )
    return len(variant_ids)


class Command(BaseCommand):
    help = "Create (or complete) the demo tenant with real data; safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            default=DEFAULT_UNTIL,
            help=f"replay the real data up to this day (YYYY-MM-DD; default {DEFAULT_UNTIL})",
        )
        parser.add_argument("--full", action="store_true", help="replay the whole committed week")
        parser.add_argument("--quiet", action="store_true", help="print only the login line")

    def handle(self, *args, **options):
        started = time.monotonic()
        tenant, store, warehouse = seed_tenant()
        summary = load_demo(tenant=tenant, until=None if options["full"] else options["until"])
        dress_demo_catalog(tenant=tenant)
        stocked = stock_store_and_warehouse(tenant, store, warehouse)
        dress_demo_stock(tenant=tenant, store=store, warehouse=warehouse)
        analyze_apps("tenants", "locations", "catalog", "inventory", "pos")
        elapsed = time.monotonic() - started
        if not options["quiet"]:
            self.stdout.write(f"Real data (UCI Online Retail slice): {summary.line()}")
            variants = Variant.objects.filter(tenant=tenant).count()
            items = InventoryItem.objects.filter(tenant=tenant).count()
            self.stdout.write(
                f"Tenant {tenant.slug}: {variants} variants, {items} stock rows; "
                f"{stocked} products newly stocked in {store.code} and {warehouse.code}; "
                f"{elapsed:.1f}s."
            )
            self.stdout.write(
                "Cashier login: demo-cashier / demo (tenant demo, store STORE1, Till 1)"
            )
        self.stdout.write("Demo login: demo / demo (tenant demo)")
        self.stdout.write(f"Admin (platform operator): {OPERATOR} / {PASSWORD} at /admin/")
