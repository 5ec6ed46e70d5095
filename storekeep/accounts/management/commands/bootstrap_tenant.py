"""``manage.py bootstrap_tenant --slug S --name N --owner-username U --owner-password P
[--currency GBP] [--email E] [--timezone Z] [--location-code C] [--location-name N]``

What a real installation does first: create a tenant, its owner
(a new user, or an existing one whose password matches), the OWNER
membership and a default STORE location, in one transaction.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from storekeep.core.currencies import CURRENCY_RULE, is_currency
from storekeep.locations.models import Location
from storekeep.tenants.models import Membership, Role, Tenant


def bootstrap_tenant(
    *,
    slug: str,
    name: str,
    owner_username: str,
    owner_password: str,
    currency: str = "GBP",
    email: str = "",
    timezone: str = "UTC",
    location_code: str = "MAIN",
    location_name: str = "Main store",
) -> tuple[Tenant, object, bool, Location]:
    """Create tenant + owner membership + default STORE location; returns (tenant, user, user_created, location).

    ``currency`` is an ISO 4217 code. Raises CommandError when the slug exists,
    or when an existing user's password does not match ``owner_password``.
    """
    if slugify(slug) != slug:
        raise CommandError(
            f"--slug {slug!r} is not a valid slug (lowercase letters, digits, hyphens)."
        )
    if not is_currency(currency):
        raise CommandError(f"--currency {currency!r} is not {CURRENCY_RULE}.")
    currency = currency.upper()
    user_model = get_user_model()
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f"A tenant with slug {slug!r} already exists; nothing was changed.")
        user = user_model.objects.filter(username=owner_username).first()
        created = user is None
        if created:
            user = user_model(username=owner_username, email=email)
            try:
                validate_password(owner_password, user)
            except ValidationError as exc:
                raise CommandError("Password rejected: " + " ".join(exc.messages)) from None
            user.set_password(owner_password)
            user.save()
        elif not user.check_password(owner_password):
            raise CommandError(
                f"User {owner_username!r} exists and the password does not match; nothing was changed."
            )
        tenant = Tenant.objects.create(slug=slug, name=name, currency=currency, timezone=timezone)
        Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
        location = Location.objects.create(
            tenant=tenant,
            code=location_code,
            name=location_name,
            type=Location.Type.STORE,
            is_default=True,
        )
    return tenant, user, created, location


class Command(BaseCommand):
    help = "Create a tenant with its owner login and a default store location."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-username", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--currency", default="GBP", help="ISO 4217 (default GBP)")
        parser.add_argument("--email", default="", help="owner's e-mail (new users only)")
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--location-code", default="MAIN")
        parser.add_argument("--location-name", default="Main store")

    def handle(self, *args, **options):
        tenant, user, created, location = bootstrap_tenant(
            slug=options["slug"],
            name=options["name"],
            owner_username=options["owner_username"],
            owner_password=options["owner_password"],
            currency=options["currency"],
            email=options["email"],
            timezone=options["timezone"],
            location_code=options["location_code"],
            location_name=options["location_name"],
        )
        self.stdout.write(
            f"Tenant {tenant.slug} (id {tenant.pk}, {tenant.currency}) created; owner {user.get_username()} "
            f"({'new user' if created else 'existing user'}); default location {location.code} (id {location.pk})."
        )
