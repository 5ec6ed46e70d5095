"""The staff pages in a real browser (issue 14 item 8, Playwright + chromium): an owner adds a
cashier, changes role and stores, sets a new password and deactivates; a manager's attempt to
appoint an owner is refused with the reason; a viewer has no staff page. Screenshots go to
docs/screenshots/ with STOREKEEP_SCREENSHOTS=1."""

from __future__ import annotations

import pytest

from storekeep.accounts.models import ApiToken
from storekeep.tenants.models import Membership, Role

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_PASSWORD = "Till-roll-2026"


def nav(page, name):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def alert_text(page) -> str:
    return " ".join(page.get_by_role("alert").all_inner_texts())


def test_owner_adds_changes_resets_and_deactivates_a_person(
    page, sign_in, shop, screenshot, browser, live_server
):
    sign_in(role=Role.OWNER, username="olivia")
    nav(page, "Staff")
    page.get_by_role("heading", name="Staff").wait_for()
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Full name").fill("Nina Patel")
    page.get_by_label("Email").fill("nina@example.com")
    page.get_by_label("Password").fill("1234")  # too weak first
    page.get_by_label("Role").last.select_option(label="Cashier")
    page.get_by_label("STORE1 — High Street").check()
    page.get_by_role("button", name="Add person").click()
    assert "password is not accepted" in alert_text(page)
    assert not Membership.objects.filter(user__username="nina").exists()
    page.get_by_label("Password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Add person").click()
    assert "nina added as cashier" in page.get_by_role("status").inner_text()
    member = Membership.objects.get(user__username="nina")
    assert member.role == Role.CASHIER and list(member.locations.all()) == [shop.store]

    # The new cashier signs in in another browser window.
    other = browser.new_context(base_url=live_server.url)
    tab = other.new_page()
    tab.goto("/")
    tab.get_by_label("Username").fill("nina")
    tab.get_by_label("Password").fill(GOOD_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("button", name="Sign out").wait_for()

    page.get_by_label("Role", exact=True).select_option(label="Manager")
    page.get_by_label("WH1 — Warehouse").check()
    page.get_by_role("button", name="Save role and stores").click()
    assert "role and stores saved" in page.get_by_role("status").inner_text()
    member.refresh_from_db()
    assert member.role == Role.MANAGER and member.locations.count() == 2

    page.get_by_label("New password").fill(GOOD_PASSWORD + "!")
    page.get_by_role("button", name="Set new password").click()
    assert "new password set" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="Deactivate nina").click()
    assert "deactivated" in page.get_by_role("status").inner_text()
    member.refresh_from_db()
    assert not member.is_active
    history = page.get_by_role("table", name="History").inner_text()
    assert "Added as cashier at STORE1" in history and "Role: cashier → manager" in history
    assert "Password set" in history and "Deactivated" in history and "olivia" in history
    screenshot(page, "backoffice-staff-member", full_page=True)

    tab.reload()  # the deactivated person's browser session ends
    tab.get_by_role("button", name="Sign in").wait_for()
    other.close()

    nav(page, "Staff")
    page.get_by_label("Status").select_option(label="Everyone")
    page.get_by_role("button", name="Apply filters").click()
    table = page.get_by_role("table", name="Staff members").inner_text()
    assert "nina" in table and "Deactivated" in table
    screenshot(page, "backoffice-staff", full_page=True)


def test_a_manager_cannot_appoint_an_owner(page, sign_in, shop, make_member):
    sign_in(role=Role.MANAGER)
    page.goto("/staff/")
    options = page.get_by_label("Role").last.locator("option").all_inner_texts()
    assert options == ["Cashier", "Viewer"]
    # a forged form (the page never offers it): the service refuses and says why
    page.eval_on_selector("#s-role", "el => el.add(new Option('Owner', 'OWNER', true, true))")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Add person").click()
    assert "cannot manage or appoint owner" in alert_text(page)
    assert not Membership.objects.filter(user__username="boss").exists()
    # an owner's page has no forms for a manager
    owner = make_member(role=Role.OWNER, tenant=shop.tenant)
    page.goto(f"/staff/{owner.pk}/")
    assert "Only an owner can change this person" in page.get_by_role("note").inner_text()
    assert page.get_by_role("button", name="Set new password").count() == 0


def test_a_viewer_has_no_staff_page(page, sign_in, shop):
    viewer = sign_in(role=Role.VIEWER)
    nav_links = page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()
    assert "Staff" not in nav_links
    page.goto("/staff/")
    assert "needs the manager role" in page.get_by_role("alert").inner_text()
    assert not ApiToken.objects.filter(membership=viewer).exists()
