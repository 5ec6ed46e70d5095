"""manage.py bootstrap_tenant."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from storekeep.locations.models import Location
from storekeep.tenants.models import Membership, Role, Tenant


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("bootstrap_tenant", *args, stdout=out)
    return out.getvalue()


ARGS = [
    "--slug",
    "corner-shop",
    "--name",
    "Corner Shop",
    "--owner-username",
    "olivia",
    "--owner-password",
    "s3cret-pass",
]


@pytest.mark.django_db
def test_creates_tenant_owner_and_default_store_and_the_owner_can_log_in():
    out = run(*ARGS, "--currency", "eur", "--email", "o@example.com")
    tenant = Tenant.objects.get(slug="corner-shop")
    assert tenant.name == "Corner Shop" and tenant.currency == "EUR"
    membership = Membership.objects.get(tenant=tenant)
    assert membership.role == Role.OWNER and membership.user.username == "olivia"
    assert membership.user.email == "o@example.com"
    assert not membership.user.is_staff and not membership.user.is_superuser  # issue 12 item 2
    location = Location.objects.get(tenant=tenant)
    assert location.type == Location.Type.STORE and location.is_default
    assert "corner-shop" in out and out.count("\n") == 1

    response = APIClient().post(
        "/api/v1/auth/token", {"username": "olivia", "password": "s3cret-pass"}, format="json"
    )
    assert response.status_code == 201 and response.json()["tenant"]["slug"] == "corner-shop"


@pytest.mark.django_db
def test_existing_slug_is_a_clear_error_and_changes_nothing():
    run(*ARGS)
    with pytest.raises(CommandError, match="already exists"):
        run(
            "--slug",
            "corner-shop",
            "--name",
            "Other",
            "--owner-username",
            "someone",
            "--owner-password",
            "x",
        )
    assert Tenant.objects.get(slug="corner-shop").name == "Corner Shop"
    assert not get_user_model().objects.filter(username="someone").exists()


@pytest.mark.django_db
def test_reuses_an_existing_user_only_with_the_right_password():
    run(*ARGS)
    with pytest.raises(CommandError, match="password does not match"):
        run(
            "--slug",
            "second",
            "--name",
            "Second",
            "--owner-username",
            "olivia",
            "--owner-password",
            "nope",
        )
    assert not Tenant.objects.filter(slug="second").exists()
    out = run(
        "--slug",
        "second",
        "--name",
        "Second",
        "--owner-username",
        "olivia",
        "--owner-password",
        "s3cret-pass",
    )
    assert "existing user" in out
    assert Membership.objects.filter(user__username="olivia").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [["--slug", "Bad Slug!"], ["--currency", "EURO"]])
def test_invalid_slug_or_currency_is_rejected(extra):
    args = list(ARGS)
    key = extra[0]
    if key in args:
        args[args.index(key) + 1] = extra[1]
    else:
        args += extra
    with pytest.raises(CommandError):
        run(*args)
    assert Tenant.objects.count() == 0
