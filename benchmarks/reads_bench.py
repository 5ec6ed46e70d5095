#!/usr/bin/env python
"""Reads benchmark at a full year's scale, on PostgreSQL.

Every endpoint below is requested ``--requests`` times through gunicorn (one
sync worker, keep-alive HTTP from this process) with an owner's bearer token;
beside it, in the same run, a hand-written SQL query giving the same answer
(psycopg, no ORM) is timed the same number of times. Printed per endpoint:
p50/p95 in ms, the SQL baseline's p50, the ratio p50 ÷ SQL p50, and whether
the targets hold:

* a JSON read: p95 < 60 ms (movements of a month: < 100 ms), and p50 ≤
  4 × SQL p50 + the p50 of an empty authenticated request (``GET /auth/me``);
* the one-month ledger CSV: p50 < 1 s, and p50 ≤ 3 × the p50 of ``COPY … TO STDOUT`` of the
  same rows (its baseline).

The database: ``--database-url`` (default ``sk_reads_bench``). If it does not
exist it is created from ``--template`` (a database with the year already
imported, e.g. ``sk_fullyear``) or, without one, migrated and loaded with
``import_online_retail`` (the full file; ~3–6 minutes; the importer ends with
``ANALYZE``; nothing else is analyzed by hand). Results are appended to
``benchmarks/reads_results.md`` with the machine's load.

    .venv/bin/python benchmarks/reads_bench.py [--template sk_fullyear] [--requests 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("STOREKEEP_LOG_LEVEL", "WARNING")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sk_reads_bench"
TENANT = "online-retail"
JSON_P95_MS = 60.0
MOVEMENTS_P95_MS = 100.0
CSV_P50_MS = 1000.0
CSV_RATIO = 3.0
RATIO = 4.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def ensure_database(url: str, template: str | None) -> bool:
    """Create the database (from ``template`` if given); True when it was created."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return True


def setup(url: str, template: str | None) -> None:
    os.environ["DATABASE_URL"] = url
    created = ensure_database(url, template)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from storekeep.tenants.models import Tenant

    if not Tenant.objects.filter(slug=TENANT).exists():
        print("loading the full year (import_online_retail) …", flush=True)
        started = time.monotonic()
        call_command("import_online_retail", "--no-progress")
        print(f"imported in {time.monotonic() - started:.0f} s", flush=True)
    elif created:
        print(f"database created from template {template}", flush=True)


def owner_token() -> str:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from storekeep.accounts.models import ApiToken
    from storekeep.tenants.models import Membership, Role, Tenant

    tenant = Tenant.objects.get(slug=TENANT)
    user, _ = get_user_model().objects.get_or_create(username="reads-bench-owner")
    membership, _ = Membership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": Role.OWNER}
    )
    _, raw = ApiToken.issue(membership=membership, ttl=settings.STOREKEEP_TOKEN_TTL)
    return raw


# ------------------------------------------------------------------- hand-written SQL

LEDGER_COLS = """l.id, l.location_id, loc.code, l.variant_id, v.sku, l.lot_id, l.ref_type, l.ref_id,
 l.qty_delta, l.balance_after, l.unit_cost, l.reason, l.note, l.actor_id, l.created_at"""
LEDGER_FROM = """inventory_stockledger l JOIN locations_location loc ON loc.id = l.location_id
 JOIN catalog_variant v ON v.id = l.variant_id"""


def baselines(ids: dict) -> dict[str, list[tuple[str, list]]]:
    """Per endpoint: the statements giving the same answer (page rows + count where the API counts)."""
    t = ids["tenant"]
    month = [ids["month_start"], ids["month_end"]]
    first_month = [ids["first_start"], ids["first_end"]]
    stock = """SELECT i.id, i.location_id, loc.code, i.variant_id, v.sku, p.name, v.name, i.on_hand,
        i.reserved, i.on_hand - i.reserved,
        COALESCE(i.reorder_point, v.reorder_point, %s), i.version, i.avg_unit_cost,
        i.last_movement_at, i.last_counted_at
      FROM inventory_inventoryitem i JOIN catalog_variant v ON v.id = i.variant_id
      JOIN catalog_product p ON p.id = v.product_id JOIN locations_location loc ON loc.id = i.location_id
      WHERE i.tenant_id = %s AND v.track_inventory ORDER BY i.location_id, v.sku, i.id LIMIT 50"""
    stock_count = """SELECT count(*) FROM inventory_inventoryitem i JOIN catalog_variant v
      ON v.id = i.variant_id WHERE i.tenant_id = %s AND v.track_inventory"""
    sales_by_day = """SELECT (s.completed_at AT TIME ZONE 'Europe/London')::date, count(*),
        sum(s.total) FROM pos_sale s WHERE s.tenant_id = %s AND s.completed_at >= %s
        AND s.completed_at < %s AND s.status = 'COMPLETED' GROUP BY 1 ORDER BY 1"""
    returns_by_day = """SELECT (r.finalized_at AT TIME ZONE 'Europe/London')::date, count(*),
        sum(r.refund_total) FROM pos_return r WHERE r.tenant_id = %s AND r.finalized_at >= %s
        AND r.finalized_at < %s GROUP BY 1"""
    movements = """WITH moved AS (
        SELECT variant_id, count(*) AS moves, sum(qty_delta) AS net,
          sum(qty_delta) FILTER (WHERE ref_type IN ('RECEIPT','PURCHASE_ORDER_RECEIPT')) AS purchases,
          sum(qty_delta) FILTER (WHERE ref_type IN ('SALE','RECIPE_CONSUMPTION','RESERVATION_CONFIRM')) AS sales,
          sum(qty_delta) FILTER (WHERE ref_type = 'RETURN') AS returns,
          sum(qty_delta) FILTER (WHERE ref_type = 'VOID') AS voids,
          sum(qty_delta) FILTER (WHERE ref_type IN ('ADJUSTMENT','COUNT_RECONCILE')) AS adjustments,
          sum(qty_delta) FILTER (WHERE ref_type = 'TRANSFER_IN') AS transfers_in,
          sum(qty_delta) FILTER (WHERE ref_type = 'TRANSFER_OUT') AS transfers_out,
          sum(qty_delta) FILTER (WHERE ref_type = 'WASTE') AS waste,
          sum(qty_delta) FILTER (WHERE ref_type = 'EXPIRY') AS expired
        FROM inventory_stockledger WHERE tenant_id = %s AND created_at >= %s AND created_at < %s
        GROUP BY variant_id),
      page AS (SELECT m.*, v.sku, count(*) OVER () AS total FROM moved m
        JOIN catalog_variant v ON v.id = m.variant_id ORDER BY v.sku, m.variant_id LIMIT 50)
      SELECT page.*, (SELECT sum((SELECT b.balance_after FROM inventory_stockledger b
          WHERE b.tenant_id = i.tenant_id AND b.location_id = i.location_id
          AND b.variant_id = i.variant_id AND b.created_at < %s
          ORDER BY b.created_at DESC, b.id DESC LIMIT 1))
        FROM inventory_inventoryitem i WHERE i.tenant_id = %s AND i.variant_id = page.variant_id)
      FROM page ORDER BY page.sku, page.variant_id"""
    return {
        "auth_me (empty)": [("SELECT 1", [])],
        "stock list": [(stock, [ids["default_rp"], t]), (stock_count, [t])],
        "ledger first page": [
            (
                f"SELECT {LEDGER_COLS} FROM {LEDGER_FROM} WHERE l.tenant_id = %s "
                "ORDER BY l.created_at DESC, l.id DESC LIMIT 101",
                [t],
            ),
        ],
        "ledger one month": [
            (
                f"SELECT {LEDGER_COLS} FROM {LEDGER_FROM} WHERE l.tenant_id = %s AND l.created_at >= %s "
                "AND l.created_at < %s ORDER BY l.created_at DESC, l.id DESC LIMIT 101",
                [t, *first_month],
            ),
        ],
        "ledger one variant": [
            (
                f"SELECT {LEDGER_COLS} FROM {LEDGER_FROM} WHERE l.tenant_id = %s AND l.variant_id = %s "
                "ORDER BY l.created_at DESC, l.id DESC LIMIT 101",
                [t, ids["busy_variant"]],
            ),
        ],
        "overview": [
            (
                """SELECT count(DISTINCT i.variant_id) FILTER (WHERE i.on_hand <> 0), sum(i.on_hand),
                sum(i.on_hand * i.avg_unit_cost),
                count(*) FILTER (WHERE i.on_hand - i.reserved
                  <= COALESCE(i.reorder_point, v.reorder_point, %s))
              FROM inventory_inventoryitem i JOIN catalog_variant v ON v.id = i.variant_id
              WHERE i.tenant_id = %s AND v.track_inventory""",
                [ids["default_rp"], t],
            ),
            (
                "SELECT count(*) FROM inventory_inventorytransfer WHERE tenant_id = %s "
                "AND status IN ('IN_TRANSIT','PARTIAL_RECEIVED')",
                [t],
            ),
            (
                "SELECT count(*) FROM purchasing_purchaseorder WHERE tenant_id = %s "
                "AND status IN ('SUBMITTED','PARTIAL_RECEIVED')",
                [t],
            ),
            (
                "SELECT count(*) FROM inventory_countsession WHERE tenant_id = %s "
                "AND status IN ('DRAFT','IN_PROGRESS')",
                [t],
            ),
        ],
        "stock_summary": [
            (
                """SELECT v.id, v.sku, sum(i.on_hand), sum(i.reserved), sum(i.on_hand * i.avg_unit_cost)
              FROM catalog_variant v JOIN inventory_inventoryitem i ON i.variant_id = v.id
              WHERE v.tenant_id = %s AND v.track_inventory GROUP BY v.id ORDER BY v.sku, v.id
              LIMIT 50""",
                [t],
            ),
            ("SELECT count(*) FROM catalog_variant WHERE tenant_id = %s AND track_inventory", [t]),
        ],
        "sales_summary month": [(sales_by_day, [t, *month]), (returns_by_day, [t, *month])],
        "sales_summary year": [
            (sales_by_day, [t, ids["year_start"], ids["year_end"]]),
            (returns_by_day, [t, ids["year_start"], ids["year_end"]]),
        ],
        "movements month": [(movements, [t, *month, ids["month_start"], t])],
        "valuation": [
            (
                """SELECT i.location_id, loc.code, i.variant_id, v.sku, i.on_hand, i.avg_unit_cost,
                i.on_hand * i.avg_unit_cost FROM inventory_inventoryitem i
              JOIN catalog_variant v ON v.id = i.variant_id
              JOIN locations_location loc ON loc.id = i.location_id
              WHERE i.tenant_id = %s AND v.track_inventory AND i.on_hand <> 0
              ORDER BY loc.code, v.sku, i.id LIMIT 50""",
                [t],
            ),
            (
                """SELECT i.location_id, loc.code, count(*), sum(i.on_hand),
                sum(i.on_hand * i.avg_unit_cost) FROM inventory_inventoryitem i
              JOIN catalog_variant v ON v.id = i.variant_id
              JOIN locations_location loc ON loc.id = i.location_id
              WHERE i.tenant_id = %s AND v.track_inventory AND i.on_hand <> 0
              GROUP BY 1, 2""",
                [t],
            ),
        ],
        "sales list": [
            (
                """SELECT s.*, rs.register_id FROM pos_sale s
              LEFT JOIN pos_registersession rs ON rs.id = s.register_session_id
              WHERE s.tenant_id = %s ORDER BY s.completed_at DESC, s.id DESC LIMIT 50""",
                [t],
            ),
            ("SELECT count(*) FROM pos_sale WHERE tenant_id = %s", [t]),
        ],
    }


def copy_month(ids: dict) -> tuple[str, list]:
    return (
        f"COPY (SELECT {LEDGER_COLS} FROM {LEDGER_FROM} WHERE l.tenant_id = {int(ids['tenant'])} "
        f"AND l.created_at >= '{ids['month_start'].isoformat()}' "
        f"AND l.created_at < '{ids['month_end'].isoformat()}' ORDER BY l.created_at DESC, l.id DESC) "
        "TO STDOUT WITH (FORMAT csv, HEADER)",
        [],
    )


def reference_ids() -> dict:
    from datetime import date

    from django.db.models import Count

    from storekeep.inventory.models import StockLedger
    from storekeep.tenants.models import Tenant

    tenant = Tenant.objects.get(slug=TENANT)
    month_start, month_end = tenant.day_bounds(date(2011, 11, 1), date(2011, 11, 30))
    first_start, first_end = tenant.day_bounds(date(2010, 12, 1), date(2010, 12, 31))
    year_start, year_end = tenant.day_bounds(date(2010, 12, 1), date(2011, 12, 9))
    busy = (
        StockLedger.objects.filter(tenant=tenant)
        .values("variant_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["variant_id"]
    )
    return {
        "tenant": tenant.pk,
        "default_rp": tenant.default_reorder_point,
        "month_start": month_start,
        "month_end": month_end,
        "first_start": first_start,
        "first_end": first_end,
        "year_start": year_start,
        "year_end": year_end,
        "busy_variant": busy,
    }


def endpoints(ids: dict) -> dict[str, str]:
    return {
        "auth_me (empty)": "/api/v1/auth/me",
        "stock list": "/api/v1/inventory/stock",
        "ledger first page": "/api/v1/inventory/ledger",
        "ledger one month": "/api/v1/inventory/ledger?date_from=2010-12-01&date_to=2010-12-31",
        "ledger one variant": f"/api/v1/inventory/ledger?variant_id={ids['busy_variant']}",
        "overview": "/api/v1/inventory/overview",
        "stock_summary": "/api/v1/inventory/stock_summary",
        "sales_summary month": "/api/v1/reports/sales_summary?date_from=2011-11-01&date_to=2011-11-30",
        "sales_summary year": "/api/v1/reports/sales_summary?date_from=2010-12-01&date_to=2011-12-09",
        "movements month": "/api/v1/reports/movements?date_from=2011-11-01&date_to=2011-11-30",
        "valuation": "/api/v1/reports/valuation",
        "sales list": "/api/v1/pos/sales",
        "ledger CSV month": "/api/v1/inventory/ledger?date_from=2011-11-01&date_to=2011-11-30&format=csv",
    }


# ------------------------------------------------------------------------- running


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "STOREKEEP_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request(
                "GET", "/api/v1/auth/me"
            )
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("gunicorn did not start")


def time_http(conn: http.client.HTTPConnection, path: str, token: str, n: int) -> list[float]:
    accept = "text/csv" if "format=csv" in path else "application/json"
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    times = []
    for i in range(n + 2):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status} {body[:300]!r}")
        if i >= 2:  # two warm-up requests
            times.append(elapsed)
    return times


def time_sql(cursor, statements: list[tuple[str, list]], n: int) -> list[float]:
    times = []
    for i in range(n + 2):
        started = time.perf_counter()
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    return times


def time_copy(raw_conn, sql: str, n: int) -> list[float]:
    times = []
    for i in range(n + 2):
        started = time.perf_counter()
        size = 0
        with raw_conn.cursor() as cur, cur.copy(sql) as copy:
            for block in copy:
                size += len(block)
        if i >= 2:
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("READS_BENCH_URL", DEFAULT_URL))
    parser.add_argument("--template", default=None, help="create the database from this one")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--port", type=int, default=8112)
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    setup(args.database_url, args.template)
    import psycopg
    from django.db import connection

    token = owner_token()
    ids = reference_ids()
    urls = endpoints(ids)
    sql = baselines(ids)
    wanted = [name for name in urls if not args.only or name in args.only.split(",")]
    load_before = os.getloadavg()
    server = start_gunicorn(args.database_url, args.port)
    rows = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        raw = psycopg.connect(args.database_url.replace("postgres://", "postgresql://"))
        with connection.cursor() as cursor:
            results = {}
            for name in wanted:
                http_ms = time_http(conn, urls[name], token, args.requests)
                if name == "ledger CSV month":
                    base = time_copy(raw, copy_month(ids)[0], args.requests)
                else:
                    base = time_sql(cursor, sql[name], args.requests)
                results[name] = (http_ms, base)
        empty = (
            statistics.median(results["auth_me (empty)"][0]) if "auth_me (empty)" in results else 0
        )
        for name, (http_ms, base) in results.items():
            p50, p95, b50 = (
                statistics.median(http_ms),
                percentile(http_ms, 95),
                statistics.median(base),
            )
            if name == "ledger CSV month":
                ok = p50 < CSV_P50_MS and p50 <= CSV_RATIO * b50
                target = (
                    f"p50 < {CSV_P50_MS:.0f} ms, p50 ≤ {CSV_RATIO:.0f}×COPY = {CSV_RATIO * b50:.1f}"
                )
            elif name == "auth_me (empty)":
                ok, target = True, "(the empty request)"
            else:
                limit = MOVEMENTS_P95_MS if name == "movements month" else JSON_P95_MS
                ok = p95 < limit and p50 <= RATIO * b50 + empty
                target = (
                    f"p95 < {limit:.0f}, p50 ≤ {RATIO:.0f}×sql+empty = {RATIO * b50 + empty:.1f}"
                )
            rows.append((name, p50, p95, b50, p50 / b50 if b50 else 0, target, ok))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    load_after = os.getloadavg()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### {stamp} — {args.requests} requests per endpoint, load {load_before[0]:.1f} → "
        f"{load_after[0]:.1f} (1-min avg)",
        "",
        "| endpoint | p50 ms | p95 ms | sql p50 ms | p50 ÷ sql | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name, p50, p95, b50, ratio, target, ok in rows:
        lines.append(
            f"| {name} | {p50:.1f} | {p95:.1f} | {b50:.1f} | {ratio:.1f}× | {target} | "
            f"{'yes' if ok else 'NO'} |"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_save:
        with open(ROOT / "benchmarks" / "reads_results.md", "a", encoding="utf-8") as out:
            out.write(text + "\n\n")
    print(json.dumps({"met": all(r[-1] for r in rows)}))


if __name__ == "__main__":
    main()
