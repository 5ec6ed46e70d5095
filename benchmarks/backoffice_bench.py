#!/usr/bin/env python
"""Back-office page benchmark on PostgreSQL with the full-year tenant (issue 14).

Server time per page: each page is requested in process through the whole
Django stack (middleware, session, view, selectors, template) with Django's
test client signed in as an owner; no network, no browser. Every page is
warmed up, then requested ``--runs`` times; p50/p95 wall time and the number
of SQL queries are printed. Targets: p95 < 150 ms for lists and the item page,
< 300 ms for the dashboard.

The database is a copy of the full-year import (``sk_fullyear``: 4,070
products, ~560,000 ledger rows, ~20,000 sales), so the owner created here
never touches the original:

    createdb -h 127.0.0.1 -U postgres -T sk_fullyear sk_h14_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sk_h14_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sk_h14_bench \\
        .venv/bin/python benchmarks/backoffice_bench.py [--runs 30] [--tenant online-retail]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("STOREKEEP_LOG_LEVEL", "WARNING")

LIST_TARGET_MS, DASHBOARD_TARGET_MS = 150, 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--tenant", default="online-retail")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Max
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from storekeep.inventory.models import StockLedger
    from storekeep.pos.models import Sale
    from storekeep.tenants.models import Membership, Role, Tenant

    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL=postgres://…).")
    # Django empties the query log when a request starts (``reset_queries`` on
    # ``request_started``), which left CaptureQueriesContext with nothing to count.
    from django.core.signals import request_started
    from django.db import reset_queries

    request_started.disconnect(reset_queries)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    tenant = Tenant.objects.get(slug=args.tenant)
    user, _ = get_user_model().objects.get_or_create(username="bench-owner")
    membership, _ = Membership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": Role.OWNER}
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session["storekeep_tenant_id"] = tenant.pk
    session["membership_id"] = membership.pk
    session.save()

    busiest = (
        StockLedger.objects.filter(tenant=tenant)
        .values("variant_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    last_sale = Sale.objects.filter(tenant=tenant).aggregate(last=Max("completed_at"))["last"]
    sale_id = (
        Sale.objects.filter(tenant=tenant).order_by("-completed_at").values_list("pk", flat=True)[0]
    )
    last_day = last_sale.date()
    month_ago = last_day.replace(day=1)
    year_ago = last_day.replace(year=last_day.year - 1)
    pages = [
        ("list", "stock", "/stock/"),
        ("list", "stock, low only, by available", "/stock/?low=1&sort=available"),
        ("list", "stock, search", "/stock/?search=HEART"),
        ("list", "stock, page 40", "/stock/?page=40"),
        ("item", f"item page (busiest, {busiest['n']} rows)", f"/stock/{busiest['variant_id']}/"),
        (
            "item",
            "item page, one year chart",
            f"/stock/{busiest['variant_id']}/?from={year_ago}&to={last_day}",
        ),
        ("list", "transfers", "/transfers/?status=all"),
        ("list", "counts", "/counts/"),
        ("list", "purchasing", "/purchasing/"),
        ("list", "reorder", "/reorder/"),
        ("list", "sales", "/sales/"),
        ("list", "sales, one month", f"/sales/?from={month_ago}&to={last_day}"),
        ("item", "sale page", f"/sales/{sale_id}/"),
        ("list", "staff", "/staff/"),
        ("dashboard", "dashboard, 30 days", f"/dashboard/?to={last_day}"),
        ("dashboard", "dashboard, one year", f"/dashboard/?from={year_ago}&to={last_day}"),
    ]
    print(f"tenant {tenant.slug}: {args.runs} runs per page after 3 warm-ups\n")
    print(f"{'page':44} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'target':>7}")
    failures = []
    for kind, name, url in pages:
        for _ in range(3):
            response = client.get(url)
            if response.status_code == 404 and url.startswith("/staff/"):
                break
            assert response.status_code == 200, (url, response.status_code)
        if response.status_code == 404:
            print(f"{name:44} {'(page not installed)':>33}")
            continue
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries = len(ctx.captured_queries)  # now: the timed requests below may empty the log
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        target = DASHBOARD_TARGET_MS if kind == "dashboard" else LIST_TARGET_MS
        flag = "ok" if p95 < target else "SLOW"
        if p95 >= target:
            failures.append(name)
        print(f"{name:44} {queries:>7} {p50:>8.1f} {p95:>8.1f} {f'<{target}':>6} {flag}")
    print("\nall pages within target" if not failures else f"\nover target: {failures}")


if __name__ == "__main__":
    main()
