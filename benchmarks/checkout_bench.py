#!/usr/bin/env python
"""Checkout benchmark on PostgreSQL.

Measures checkouts/s and p50/p99 latency of the same carts sold three ways, in
the same run and on the same database:

* ``sql``     — hand-written SQL (psycopg through Django's connection): lock the
                register counter, insert the sale, lock the stock rows in one
                ordered ``SELECT … FOR UPDATE``, update them, insert ledger rows,
                lines and the payment, all in one transaction. Totals come from
                the same pure ``compute_receipt``. This is the floor: no ORM, no
                engine bookkeeping (alerts, lots, recipes, versions checks).
* ``service`` — ``storekeep.pos.services.checkout`` (what the importer calls).
* ``http``    — ``POST /api/v1/pos/checkout`` with a register token and an
                Idempotency-Key, through the whole Django/DRF stack in process
                (no network, no gunicorn).

The ``slowdown`` column is sql checkouts/s ÷ the mode's checkouts/s (1.00x = as
fast as hand-written SQL), for two pickings of cart lines: ``uniform`` over all variants, and ``hot``
(every line from a handful of variants, so concurrent carts fight for the same
stock rows). Each scenario runs ``--threads`` workers at once, each with its own
database connection. The modes take turns (``--rounds`` slices of the carts each), so a
change of the machine's load weighs on all of them alike; ``of sql`` is the mode's share of
the SQL throughput, and with ``--threads 1`` the issue 11 targets are printed (service ≥
85 %, HTTP ≥ 50 % of SQL, uniform picks).

Usage (PostgreSQL only; the database is created and migrated if missing):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storekeep_bench \\
        .venv/bin/python benchmarks/checkout_bench.py [--checkouts 200] [--lines 21] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/storekeep_bench")
os.environ.setdefault("STOREKEEP_LOG_LEVEL", "WARNING")

D = Decimal


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("checkout_bench needs PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --------------------------------------------------------------------- fixtures


def build_tenant(n_variants: int, n_registers: int):
    from django.contrib.auth import get_user_model

    from storekeep.catalog.models import Product, TaxCategory, Variant
    from storekeep.inventory.services import ReceiptLine, receive_stock
    from storekeep.locations.models import Location
    from storekeep.pos.models import Register
    from storekeep.pos.services import register_session_open
    from storekeep.tenants.models import Membership, Role, Tenant

    stamp = f"{int(time.time() * 1000)}"
    tenant = Tenant.objects.create(
        slug=f"bench-{stamp}", name="Checkout bench", prices_include_tax=True, currency="GBP"
    )
    store = Location.objects.create(tenant=tenant, code="BENCH", name="Bench store")
    vat = TaxCategory.objects.create(tenant=tenant, name="VAT", rate=D("20"))
    user = get_user_model().objects.create(username=f"bench-{stamp}")
    membership = Membership.objects.create(tenant=tenant, user=user, role=Role.MANAGER)
    products = Product.objects.bulk_create(
        [Product(tenant=tenant, name=f"P{i}", tax_category=vat) for i in range(n_variants)]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(
                tenant=tenant,
                product=p,
                sku=f"B{i:05d}",
                price=D("1.25") + D(i % 40) / 4,
                cost=D("0.50"),
            )
            for i, p in enumerate(products)
        ]
    )
    for start in range(0, n_variants, 500):
        receive_stock(
            tenant=tenant,
            location_id=store.pk,
            reason="initial",
            lines=[
                ReceiptLine(variant_id=v.pk, qty=D("10000000"), unit_cost=D("0.50"))
                for v in variants[start : start + 500]
            ],
        )
    tills = []
    for i in range(n_registers):
        register = Register.objects.create(
            tenant=tenant, location=store, code=f"T{i}", name=f"Till {i}"
        )
        session, token = register_session_open(membership=membership, register=register)
        tills.append((register, session, token))
    return tenant, store, membership, variants, tills


def make_carts(variants, n_carts, n_lines, picks, seed):
    rng = random.Random(seed)
    pool = variants[:5] if picks == "hot" else variants
    carts = []
    for _ in range(n_carts):
        chosen = [rng.choice(pool) for _ in range(n_lines)]
        carts.append([(v, D(rng.choice([1, 1, 2, 3]))) for v in chosen])
    return carts


# ------------------------------------------------------------------------ modes


def sell_service(ctx, cart, till):
    from storekeep.pos.services import CartLine, Tender, checkout

    lines = [CartLine(variant=v, qty=q) for v, q in cart]
    total = sum(v.price * q for v, q in cart)
    checkout(
        tenant=ctx["tenant"],
        register_session=till[1],
        lines=lines,
        tenders=[Tender("CASH", (total + 1).quantize(D("1")))],
        actor=ctx["user"],
    )


def sell_http(ctx, cart, till, client, key):
    total = sum(v.price * q for v, q in cart)
    body = {
        "lines": [{"variant_id": v.pk, "qty": str(q)} for v, q in cart],
        "tenders": [{"method": "CASH", "amount": str((total + 1).quantize(D("1")))}],
    }
    r = client.post("/api/v1/pos/checkout", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    if r.status_code != 201:
        raise RuntimeError(f"HTTP checkout failed: {r.status_code} {r.content[:300]!r}")


def sell_sql(ctx, cart, till):
    """The same sale as hand-written SQL in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from storekeep.pos.totals import ReceiptLineInput, compute_receipt

    tenant = ctx["tenant"]
    store = ctx["store"]
    register, session, _ = till
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        ids = sorted({v.pk for v, _ in cart})
        cur.execute(
            "SELECT v.id, v.price, v.fee, COALESCE(t.rate, 0) FROM catalog_variant v "
            "JOIN catalog_product p ON p.id = v.product_id "
            "LEFT JOIN catalog_taxcategory t ON t.id = p.tax_category_id "
            "WHERE v.tenant_id = %s AND v.id = ANY(%s)",
            [tenant.pk, ids],
        )
        info = {row[0]: row[1:] for row in cur.fetchall()}
        receipt = compute_receipt(
            [
                ReceiptLineInput(
                    unit_price=info[v.pk][0],
                    qty=q,
                    tax_rate=info[v.pk][2],
                    fee_per_unit=info[v.pk][1],
                    key=v.pk,
                )
                for v, q in cart
            ],
            prices_include_tax=True,
            currency="GBP",
        )
        cur.execute(
            "UPDATE pos_register SET receipt_counter = receipt_counter + 1 "
            "WHERE id = %s RETURNING receipt_counter",
            [register.pk],
        )
        number = cur.fetchone()[0]
        cur.execute("SELECT status FROM pos_registersession WHERE id = %s", [session.pk])
        cur.execute(
            "INSERT INTO pos_sale (created_at, updated_at, tenant_id, receipt_number, "
            "register_session_id, location_id, cashier_id, status, source, external_ref, "
            "customer_ref, subtotal, discount_total, tax_total, total, change_due, "
            "completed_at, void_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, 'COMPLETED', 'POS', "
            "'', '', %s, %s, %s, %s, 0, %s, '') RETURNING id",
            [
                now,
                now,
                tenant.pk,
                f"SQL-{register.code}-{number:06d}",
                session.pk,
                store.pk,
                ctx["user"].pk,
                receipt.subtotal,
                receipt.discount_total,
                receipt.tax_total,
                receipt.total,
                now,
            ],
        )
        sale_id = cur.fetchone()[0]
        cur.execute(
            "SELECT id, variant_id, on_hand, avg_unit_cost FROM inventory_inventoryitem "
            "WHERE tenant_id = %s AND location_id = %s AND variant_id = ANY(%s) "
            "ORDER BY id FOR UPDATE",
            [tenant.pk, store.pk, ids],
        )
        items = {row[1]: list(row) for row in cur.fetchall()}
        ledger = []
        for v, q in cart:
            item = items[v.pk]
            if item[2] < q:
                raise RuntimeError("insufficient stock")
            item[2] -= q
            ledger.append(
                (
                    tenant.pk,
                    store.pk,
                    v.pk,
                    "SALE",
                    str(sale_id),
                    -q,
                    item[2],
                    item[3],
                    "",
                    "",
                    ctx["user"].pk,
                    now,
                )
            )
        values = ", ".join(["(%s, %s)"] * len(items))
        cur.execute(
            "UPDATE inventory_inventoryitem AS i SET on_hand = v.on_hand::numeric, "
            "version = i.version + 1, last_movement_at = %s, updated_at = %s "
            f"FROM (VALUES {values}) AS v(id, on_hand) WHERE i.id = v.id",
            [now, now, *[x for item in items.values() for x in (item[0], item[2])]],
        )
        cur.execute(
            "INSERT INTO inventory_stockledger (tenant_id, location_id, variant_id, ref_type, "
            "ref_id, qty_delta, balance_after, unit_cost, reason, note, actor_id, created_at) "
            "VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(ledger)),
            [x for row in ledger for x in row],
        )
        rows = []
        for n, line in enumerate(receipt.lines, start=1):
            rows.append(
                (
                    now,
                    now,
                    tenant.pk,
                    sale_id,
                    n,
                    line.key,
                    line.qty,
                    line.unit_price,
                    line.gross,
                    line.discount,
                    line.net,
                    line.tax_rate,
                    line.tax,
                    line.fee,
                    line.line_total,
                    items[line.key][3],
                    0,
                )
            )
        cur.execute(
            "INSERT INTO pos_saleline (created_at, updated_at, tenant_id, sale_id, line_no, "
            "variant_id, qty, unit_price, gross, discount, net, tax_rate, tax, fee, line_total, "
            "unit_cost, qty_returned, discount_reason) VALUES "
            + ", ".join(["(" + ", ".join(["%s"] * 17) + ", '')"] * len(rows)),
            [x for row in rows for x in row],
        )
        cur.execute(
            "INSERT INTO pos_payment (created_at, updated_at, tenant_id, sale_id, method, amount, "
            "tendered) VALUES (%s, %s, %s, %s, 'CASH', %s, %s)",
            [now, now, tenant.pk, sale_id, receipt.total, receipt.total],
        )


# ----------------------------------------------------------------------- runner


def run_scenario(ctx, mode, carts, threads):
    from django.db import connection
    from rest_framework.test import APIClient

    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(index):
        till = ctx["tills"][index % len(ctx["tills"])]
        client = None
        if mode == "http":
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Register {till[2]}")
        mine = []
        try:
            barrier.wait()
            for n, cart in enumerate(carts[index::threads]):
                t0 = time.perf_counter()
                if mode == "sql":
                    sell_sql(ctx, cart, till)
                elif mode == "service":
                    sell_service(ctx, cart, till)
                else:
                    sell_http(ctx, cart, till, client, f"bench-{time.time_ns()}-{index}-{n}")
                mine.append(time.perf_counter() - t0)
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return {"latencies": latencies, "elapsed": elapsed}


#: Issue 11: throughput of each mode as a share of hand-written SQL's, 1 thread, same run.
TARGETS = {"service": 0.85, "http": 0.50}


def combine(parts: list[dict]) -> dict:
    """One scenario's figures from its rounds: checkouts over the summed time; latency
    percentiles over all checkouts."""
    latencies = sorted(x for part in parts for x in part["latencies"])
    elapsed = sum(part["elapsed"] for part in parts)
    return {
        "checkouts": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=200, help="per scenario")
    parser.add_argument("--lines", type=int, default=21, help="lines per cart (importer avg: 21)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--variants", type=int, default=2000)
    parser.add_argument("--modes", default="sql,service,http")
    parser.add_argument("--picks", default="uniform,hot")
    parser.add_argument("--rounds", type=int, default=5, help="turns the modes take")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection

    tenant, store, membership, variants, tills = build_tenant(args.variants, args.threads)
    variants = list(
        type(variants[0])
        .objects.filter(tenant=tenant)
        .select_related("product__tax_category")
        .order_by("pk")
    )
    ctx = {"tenant": tenant, "store": store, "user": membership.user, "tills": tills}
    connection.close()

    print(
        f"checkout benchmark: PostgreSQL {os.environ['DATABASE_URL'].rsplit('@', 1)[-1]}, "
        f"{args.lines} lines/cart, {args.threads} threads, {args.checkouts} checkouts/scenario, "
        f"{os.cpu_count()} CPUs"
    )
    header = (
        f"{'picks':8} {'mode':8} {'checkouts/s':>12} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'slowdown':>9} {'of sql':>7}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    modes = args.modes.split(",")
    for picks in args.picks.split(","):
        carts = make_carts(variants, args.checkouts, args.lines, picks, seed=42)
        for mode in modes:  # warm-up
            run_scenario(ctx, mode, carts[: max(args.threads, 8)], args.threads)
        # The modes take turns, --rounds slices of the carts each, so a change in the
        # machine's load during the run weighs on every mode alike.
        runs: dict[str, list[dict]] = {mode: [] for mode in modes}
        for index in range(args.rounds):
            part = carts[index :: args.rounds]
            for mode in modes:
                runs[mode].append(run_scenario(ctx, mode, part, args.threads))
        for mode in modes:
            res = combine(runs[mode])
            results[(picks, mode)] = res
            base = results.get((picks, "sql"))
            share = base and mode != "sql"
            ratio = f"{base['per_s'] / res['per_s']:.2f}x" if share else "1.00x"
            percent = f"{100 * res['per_s'] / base['per_s']:.0f} %" if share else "100 %"
            print(
                f"{picks:8} {mode:8} {res['per_s']:12.1f} {res['p50_ms']:8.1f} "
                f"{res['p99_ms']:8.1f} {ratio:>9} {percent:>7}",
                flush=True,
            )
    if args.threads == 1 and ("uniform", "sql") in results:
        base = results[("uniform", "sql")]["per_s"]
        for mode, target in TARGETS.items():
            if ("uniform", mode) in results:
                share = results[("uniform", mode)]["per_s"] / base
                verdict = "met" if share >= target else "NOT met"
                print(
                    f"target: {mode} ≥ {target:.0%} of sql (1 thread, uniform): "
                    f"{share:.0%} — {verdict}"
                )
    return results


if __name__ == "__main__":
    main()
