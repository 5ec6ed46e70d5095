#!/usr/bin/env python
"""The till's server time per interaction, on PostgreSQL with the full-year tenant (issue 13).

Drives the real till views (``/till/…``) through Django's test client in process — URL
routing, middleware, session, membership, the view, the service, the template — against
a copy of the full-year Online Retail database, and prints p50/p95/max milliseconds per
interaction: scan (barcode → updated cart and totals), quantity +, product search, Pay
(cash, checkout, receipt redirect) and the receipt page; ``cpu`` columns are this
process's CPU time for the same requests (Django's share, without PostgreSQL's), which a
loaded machine inflates less than wall time. No browser and no network: this
is the server's share of what a cashier waits for. Carts are ``--lines`` lines long.

Setup it does once in the copy (idempotent): a STORE location ``TILLBENCH`` with a
register, a cashier assigned to it, and stock of the variants it scans; barcodes are the
ones the catalog has (EAN-13 derived from the id where missing, as the demo does).

Usage:

    createdb -h 127.0.0.1 -U postgres -T sk_fullyear sk_h13_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sk_h13_bench \\
        .venv/bin/python benchmarks/till_bench.py [--sales 60] [--lines 8]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("STOREKEEP_LOG_LEVEL", "WARNING")

HTMX = {"HTTP_HX_REQUEST": "true"}


def setup():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("till_bench needs PostgreSQL: set DATABASE_URL=postgres://…/sk_h13_bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def prepare(n_variants: int):
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from storekeep.catalog.models import Variant
    from storekeep.importers.demo_shop import ean13
    from storekeep.inventory.models import InventoryItem
    from storekeep.inventory.services import ReceiptLine, receive_stock
    from storekeep.locations.models import Location
    from storekeep.pos.models import Register, RegisterSession
    from storekeep.tenants.models import Membership, Role, Tenant

    tenant = (
        Tenant.objects.annotate(n=Count("memberships")).order_by("-id").filter(slug="online-retail")
    ).first() or Tenant.objects.order_by("id").first()
    store, _ = Location.objects.get_or_create(
        tenant=tenant, code="TILLBENCH", defaults={"name": "Till bench store", "type": "STORE"}
    )
    register, _ = Register.objects.get_or_create(
        tenant=tenant, location=store, code="TB1", defaults={"name": "Bench till"}
    )
    RegisterSession.objects.filter(tenant=tenant, register=register, status="OPEN").update(
        status="CLOSED"
    )
    user, created = get_user_model().objects.get_or_create(username="till-bench")
    if created:
        user.set_password("bench")
        user.save()
    membership, _ = Membership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": Role.CASHIER}
    )
    membership.locations.set([store])
    variants = list(
        Variant.objects.filter(
            tenant=tenant, is_active=True, price__gt=0, track_inventory=True
        ).order_by("pk")[:n_variants]
    )
    missing = [v for v in variants if not v.barcode]
    for v in missing:
        v.barcode = ean13(f"50{v.pk:010d}")
    Variant.objects.bulk_update(missing, ["barcode"])
    stocked = set(
        InventoryItem.objects.filter(tenant=tenant, location=store).values_list(
            "variant_id", flat=True
        )
    )
    todo = [v for v in variants if v.pk not in stocked]
    if todo:
        receive_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="initial",
            ref_id="till-bench",
            lines=[ReceiptLine(variant_id=v.pk, qty=Decimal(1_000_000)) for v in todo],
        )
    return tenant, membership, register, variants


def client_for(membership):
    from django.test import Client

    from storekeep.web.access import TENANT_SESSION_KEY

    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[TENANT_SESSION_KEY] = membership.tenant_id
    session.save()
    return client


def timed(samples, name, call):
    started, cpu = time.perf_counter(), time.process_time()
    response = call()
    samples.setdefault(name, []).append(
        ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
    )
    if response.status_code >= 400:
        raise SystemExit(f"{name}: HTTP {response.status_code}")
    return response


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def run(args):
    tenant, membership, register, variants = prepare(max(200, args.lines * 4))
    client = client_for(membership)
    response = client.post("/till/open/", {"register": register.pk, "opening_float": "100"})
    assert response.status_code == 302, response.status_code
    rng = random.Random(13)
    words = [v.product.name.split()[0] for v in rng.sample(variants, 30)]
    samples: dict[str, list[float]] = {}
    for _ in range(args.warmup + args.sales):
        for variant in rng.sample(variants, args.lines):
            timed(
                samples,
                "scan",
                lambda v=variant: client.post("/till/cart/scan/", {"code": v.barcode}, **HTMX),
            )
        timed(
            samples, "qty +", lambda: client.post("/till/cart/lines/1/", {"action": "inc"}, **HTMX)
        )
        timed(
            samples,
            "search",
            lambda: client.get("/till/search/", {"q": rng.choice(words).lower()}, **HTMX),
        )
        cart = client.session["storekeep_till_cart"]
        response = timed(
            samples,
            "pay",
            lambda c=cart: client.post(
                "/till/pay/",
                {"key": c["key"], "version": str(c["version"]), "cash": "100000"},
            ),
        )
        assert response.status_code == 302, response.content[:500]
        timed(samples, "receipt", lambda r=response: client.get(r["Location"]))
    warm = args.warmup
    print(
        f"till_bench: {args.sales} sales of {args.lines} lines, tenant {tenant.slug} "
        f"({len(variants)} variants scanned; PostgreSQL)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'interaction':<12}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'cpu p50':>9}{'cpu p95':>9}"
    )
    for name, values in samples.items():
        per_sale = len(values) // (warm + args.sales)
        kept = values[warm * per_sale :]
        wall = sorted(w for w, _ in kept)
        cpu = sorted(c for _, c in kept)
        print(
            f"{name:<12}{len(wall):>6}{statistics.median(wall):>9.1f}{pct(wall, 95):>9.1f}"
            f"{wall[-1]:>9.1f}{statistics.median(cpu):>9.1f}{pct(cpu, 95):>9.1f}"
        )
    client.post("/till/close/", {"counted_cash": "100"})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=60)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    setup()
    run(parser.parse_args())
