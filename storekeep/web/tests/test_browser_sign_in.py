"""The sign-in page in a real browser (Playwright + chromium)."""

from storekeep.tenants.models import Role


def test_sign_in_wrong_password_then_right_then_sign_out(page, make_member, screenshot):
    member = make_member(role=Role.MANAGER)
    page.goto("/")
    page.get_by_label("Username").fill(member.user.username)
    page.get_by_label("Password").fill("nope")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    screenshot(page, "sign-in-error")
    page.get_by_label("Password").fill("pass")
    page.get_by_label("Password").press("Enter")
    page.get_by_role("button", name="Sign out").wait_for()
    assert member.tenant.name in page.get_by_role("banner").inner_text()
    screenshot(page, "home-manager")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").wait_for()
    assert page.get_by_role("status").inner_text() == "You have signed out."
