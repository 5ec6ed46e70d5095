"""Issue 9 item 5: production settings, the SECRET_KEY rule and a ledger that refuses TRUNCATE."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from storekeep.inventory.models import StockLedger

ROOT = Path(settings.BASE_DIR)

# The production environment the README documents (section "Production").
PRODUCTION_ENV = {
    "SECRET_KEY": "k" * 20 + "-production-only-secret-" + "x" * 30,
    "ALLOWED_HOSTS": "shop.example.com",
    "STOREKEEP_HTTPS": "1",
    "STOREKEEP_PROXY_SSL_HEADER": "1",
    "STOREKEEP_TRUSTED_PROXIES": "1",
    "CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
}


def _manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STOREKEEP_", "SECRET_KEY"))}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    # Set in this process by the browser-test fixture (storekeep.testing.browser) when a browser
    # test ran first in the same worker; a deployment never has it, and check --deploy warns on it.
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    base["STOREKEEP_SQLITE_PATH"] = "/tmp/storekeep-settings-check.sqlite3"
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_deploy_with_the_documented_production_environment_reports_nothing():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_without_https_settings_warns(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "STOREKEEP_HTTPS"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = _manage(
        "check", env={"STOREKEEP_SECRET_KEY_FILE": str(tmp_path / "missing"), "SECRET_KEY": ""}
    )
    assert result.returncode != 0
    assert "No SECRET_KEY" in result.stderr
    assert "make secret-key" in result.stderr


def test_settings_read_the_key_file_when_no_environment_key_is_set(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("file-key-" + "z" * 50 + "\n")
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env={"STOREKEEP_SECRET_KEY_FILE": str(key_file), "SECRET_KEY": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "file-key-" + "z" * 50


def test_there_is_no_built_in_secret_key():
    source = (ROOT / "config" / "settings.py").read_text()
    assert "insecure" not in source.lower()
    assert "get_random_secret_key" not in source


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_ledger_refuses_truncate_on_postgresql(stock, variant, store):
    stock(variant, store, 5)
    table = StockLedger._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks in the way
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert StockLedger.objects.filter(variant=variant).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_test_flush_may_still_truncate_the_ledger(stock, variant, store):
    """The harness' flush between transactional tests sets storekeep.allow_truncate."""
    stock(variant, store, 5)
    assert StockLedger.objects.exists()
