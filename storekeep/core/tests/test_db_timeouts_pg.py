"""Lock and statement timeouts on PostgreSQL: a stuck row lock ends in a timely 409 or 503."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from storekeep.inventory.models import InventoryItem

ADJUSTMENTS = "/api/v1/inventory/adjustments"
ROOT = Path(__file__).resolve().parents[3]


class RowLockHolder:
    """Another connection holding ``SELECT … FOR UPDATE`` on a stock row until released."""

    def __init__(self, item_pk):
        self.item_pk = item_pk
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            with transaction.atomic():
                list(InventoryItem.objects.select_for_update().filter(pk=self.item_pk))
                self.locked.set()
                self.release.wait(timeout=60)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=30)


def set_timeouts(lock_ms, statement_ms):
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(lock_ms)}")
        cursor.execute(f"SET statement_timeout = {int(statement_ms)}")


def adjust(client, variant, store):
    return client.post(
        ADJUSTMENTS,
        {
            "location_id": store.pk,
            "reason": "correction",
            "lines": [{"variant_id": variant.pk, "delta": "-1"}],
        },
        format="json",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_web_connections_carry_the_configured_timeouts(db):
    assert settings.STOREKEEP_DB_TIMEOUTS
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        lock = cursor.fetchone()[0]
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
    assert lock == f"{settings.STOREKEEP_LOCK_TIMEOUT_MS // 1000}s"
    assert statement == f"{settings.STOREKEEP_STATEMENT_TIMEOUT_MS // 1000}s"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_management_commands_run_without_timeouts(db):
    db_settings = settings.DATABASES["default"]
    url = (
        f"postgres://{db_settings['USER']}:{db_settings.get('PASSWORD') or ''}@"
        f"{db_settings['HOST'] or '127.0.0.1'}:{db_settings['PORT'] or 5432}/{db_settings['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if k != "STOREKEEP_DB_TIMEOUTS"}
    env["DATABASE_URL"] = url
    code = (
        "from django.db import connection\n"
        "c = connection.cursor(); c.execute('SHOW statement_timeout'); a = c.fetchone()[0]\n"
        "c.execute('SHOW lock_timeout'); print(a, c.fetchone()[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].split() == ["0", "0"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stuck_row_lock_ends_in_a_timely_409_concurrent_update(
    manager_client, variant, store, stock
):
    stock(variant, store, 10)
    item = InventoryItem.objects.get(variant=variant, location=store)
    set_timeouts(lock_ms=200, statement_ms=0)
    try:
        with RowLockHolder(item.pk):
            started = time.monotonic()
            response = adjust(manager_client, variant, store)
            elapsed = time.monotonic() - started
    finally:
        set_timeouts(settings.STOREKEEP_LOCK_TIMEOUT_MS, settings.STOREKEEP_STATEMENT_TIMEOUT_MS)
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "concurrent_update"
    assert elapsed < 15
    item.refresh_from_db()
    assert item.on_hand == 10
    assert adjust(manager_client, variant, store).status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_timeout_is_503_with_retry_after(manager_client, variant, store, stock):
    stock(variant, store, 10)
    item = InventoryItem.objects.get(variant=variant, location=store)
    set_timeouts(lock_ms=0, statement_ms=300)
    try:
        with RowLockHolder(item.pk):
            started = time.monotonic()
            response = adjust(manager_client, variant, store)
            elapsed = time.monotonic() - started
    finally:
        set_timeouts(settings.STOREKEEP_LOCK_TIMEOUT_MS, settings.STOREKEEP_STATEMENT_TIMEOUT_MS)
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "statement_timeout"
    assert int(response["Retry-After"]) == body["details"]["retry_after"] > 0
    assert elapsed < 15
    item.refresh_from_db()
    assert item.on_hand == 10
