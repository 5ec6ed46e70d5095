"""Browser tests: Playwright driving Debian's chromium against pytest-django's ``live_server``.

Fixtures (loaded by the root ``conftest.py``):

- ``browser``: one headless chromium per test process (``/usr/bin/chromium``, or
  ``STOREKEEP_CHROMIUM``); without it the test skips, or fails under
  ``STOREKEEP_REQUIRE_SERVICES=1``. Nothing is downloaded (no ``playwright install``).
- ``page``: a fresh browser context at 1024×768 whose relative URLs go to the live
  server (``page.goto("/till/")``). Using it makes the test transactional (the
  server thread must see the test's rows), so it runs on SQLite and PostgreSQL alike.
- ``sign_in(role=…, tenant=…, locations=(), page=None)`` → the `Membership` it created
  and signed in through the real sign-in form (password ``pass``).
- ``screenshot(page, name)`` writes ``<name>.png``: into ``docs/screenshots/`` (the README's
  pictures) when ``STOREKEEP_SCREENSHOTS=1``, else into a temporary folder, so an ordinary
  test run leaves the work tree clean.

Select elements as assistive technology does: ``page.get_by_label("Username")``,
``page.get_by_role("button", name="Pay")`` — never by CSS class.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from storekeep.tenants.models import Role

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
VIEWPORT = {"width": 1024, "height": 768}
TABLET = {"width": 768, "height": 1024}
PASSWORD = "pass"


def chromium_path() -> str | None:
    """The chromium executable to drive, or None when none is installed."""
    configured = os.environ.get("STOREKEEP_CHROMIUM")
    for candidate in (configured, "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _missing(reason: str):
    if settings.STOREKEEP_REQUIRE_SERVICES:
        pytest.fail(f"{reason} (STOREKEEP_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        _missing("chromium is not installed (make test installs it with apt-get as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev.lock pins playwright
        _missing("the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous, so Django's async-safety guard is told to allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    # Generous: a CI machine running two xdist workers, PostgreSQL and a live server on two
    # cores can take seconds to answer a page; a real failure still fails, only later.
    context.set_default_timeout(25_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def sign_in(page, make_member, tenant):
    """Sign a new member in through the form; returns the membership."""

    def do(role=Role.CASHIER, tenant_=None, locations=(), tab=None, username=None):
        membership = make_member(
            role=role, tenant=tenant_ or tenant, locations=locations, username=username
        )
        tab = tab or page
        tab.goto("/")
        tab.get_by_label("Username").fill(membership.user.username)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.get_by_role("button", name="Sign out").wait_for()
        return membership

    return do


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    if os.environ.get("STOREKEEP_SCREENSHOTS", "") in {"1", "true", "yes"}:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshot_dir):
    """``screenshot(page, "till-cart")`` → ``till-cart.png`` (see ``STOREKEEP_SCREENSHOTS``)."""

    def take(tab, name: str, *, full_page: bool = False) -> Path:
        path = screenshot_dir / f"{name}.png"
        tab.screenshot(path=str(path), full_page=full_page)
        return path

    return take
