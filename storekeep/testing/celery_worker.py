"""A real Celery worker and beat, as in production, for end-to-end tests (issue 15).

``celery_services`` (session fixture) starts ``celery -A config worker`` and ``celery -A config
beat`` as subprocesses on the **test** database (PostgreSQL: the subprocesses must see what the
tests commit, so the tests using it are ``transaction=True``) and on a Redis database of their
own — one per pytest-xdist worker: ``REDIS_URL``'s db for ``gw0`` (or no xdist), db + 1 for
``gw1``, and so on — flushed first. The test process's Celery app is pointed at the same Redis
db for the session, so what the code under test queues reaches this worker and no other.

Without Redis or PostgreSQL the tests skip; with ``STOREKEEP_REQUIRE_SERVICES=1`` they fail.
The subprocesses get ``STOREKEEP_WEBHOOK_ALLOW_PRIVATE=1`` (the receiver is on loopback),
short retry and sweep intervals, a beat that runs only the webhook sweep (no minute job touches
another test's rows), and are stopped (their process ids only) at the end.

Also here: :class:`Receiver`, an ``http.server`` on loopback that records every request and
can be stopped (connection refused), restarted on the same port, slowed or made to fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
#: Loopback ports the receivers may bind (this project's test range).
RECEIVER_PORTS = range(8220, 8240)
WORKER_ENV = {
    "STOREKEEP_WEBHOOK_ALLOW_PRIVATE": "1",
    "STOREKEEP_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "STOREKEEP_WEBHOOK_SWEEP_SECONDS": "1",
    "STOREKEEP_WEBHOOK_TIMEOUT_SECONDS": "5",
    "STOREKEEP_BEAT_ONLY": "deliver-webhooks",
}


def _service_missing(message: str):
    if settings.STOREKEEP_REQUIRE_SERVICES:
        pytest.fail(f"{message} (STOREKEEP_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def worker_redis_url(base: str) -> str:
    """``base`` with its db number moved up by the xdist worker's index (gw0 → +0)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0) + index
    return urlunsplit(parts._replace(path=f"/{db}"))


def _test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


def _point_app_at(url: str):
    """Make this process's Celery app publish to ``url``; returns a function that undoes it."""
    from config.celery import app

    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    app._pool = None
    app.amqp._producer_pool = None

    def undo():
        app.conf.broker_url, app.conf.task_always_eager = before
        if os.environ.get("PYTEST_XDIST_WORKER"):  # keep this worker's own db (pytest_configure)
            app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    return undo


def pytest_configure(config):
    """Each xdist worker's test process publishes to its own Redis db from the start, so what
    one worker's tests queue never reaches the Celery worker another one started."""
    if settings.REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER"):
        _point_app_at(worker_redis_url(settings.REDIS_URL))


@dataclass
class CeleryServices:
    redis_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    log_dir: Path | None = None

    def logs(self) -> str:
        if not self.log_dir:
            return ""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.log_dir.glob("*.log"))
        )


def start_celery(django_db_setup, django_db_blocker):  # noqa: ARG001 - fixture order
    """Start the worker and beat (see the module docstring); yields CeleryServices."""
    import redis

    if not settings.IS_POSTGRES:
        _service_missing("needs PostgreSQL: the worker must see the test database")
    if not settings.REDIS_URL:
        _service_missing("needs Redis (set REDIS_URL=redis://…)")
    url = worker_redis_url(settings.REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        _service_missing(f"Redis unreachable at {url}: {exc}")
    client.flushdb()
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "STOREKEEP_TEST_DB"))
    }
    env.update(WORKER_ENV, DATABASE_URL=database_url, REDIS_URL=url, PYTHONUNBUFFERED="1")
    services = CeleryServices(redis_url=url, log_dir=Path(tempfile.mkdtemp(prefix="sk-celery-")))
    commands = {
        "worker": [
            "worker", "--pool=threads", "--concurrency=8", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            f"--hostname=test-{os.getpid()}@%h",
        ],
        "beat": ["beat", "--loglevel=INFO", f"--schedule={services.log_dir / 'beat-schedule'}"],
    }  # fmt: skip
    for name, args in commands.items():
        log = open(services.log_dir / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        services.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    undo = _point_app_at(url)
    try:
        _wait_ready(services)
        yield services
    finally:
        undo()
        for process in services.processes:
            process.terminate()
        for process in services.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(services.log_dir, ignore_errors=True)


def _wait_ready(services: CeleryServices, timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in services.processes):
            raise RuntimeError("celery exited early:\n" + services.logs())
        try:
            if app.control.inspect(timeout=1, destination=None).ping():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.3)
    raise RuntimeError("celery worker did not answer a ping:\n" + services.logs())


@pytest.fixture(scope="session")
def celery_services(django_db_setup, django_db_blocker):
    yield from start_celery(django_db_setup, django_db_blocker)


def wait_for(condition, *, timeout: float = 60, interval: float = 0.1, message: str = ""):
    """Poll ``condition()`` until it is truthy; returns its value, fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message or condition}")


# --- the receiver -------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


class Receiver:
    """A loopback HTTP receiver: ``url``, ``requests`` (every POST, in order), ``delay``
    (seconds before answering), ``status`` (the answer's code); ``stop()`` / ``start()``
    close and reopen the same port (a receiver that is down refuses connections)."""

    def __init__(self):
        self.requests: list[Received] = []
        self.delay = 0.0
        self.status = 200
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received(self.path, dict(self.headers), body, time.monotonic())
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> Receiver:
        ports = [self.port] if self.port else list(RECEIVER_PORTS)
        for port in ports:
            try:
                server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
            except OSError:
                continue
            server.daemon_threads = True
            self._server, self.port = server, port
            threading.Thread(target=server.serve_forever, daemon=True).start()
            return self
        raise RuntimeError(f"no free receiver port in {ports}")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.requests)


@pytest.fixture
def receiver():
    """A started :class:`Receiver` (stopped after the test)."""
    server = Receiver().start()
    yield server
    server.stop()
