"""Tenants (merchants) and their staff memberships (SPEC §2)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Tenant(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="GBP", help_text="ISO 4217 code")
    timezone = models.CharField(max_length=64, default="UTC")
    prices_include_tax = models.BooleanField(default=True)
    default_reorder_point = models.DecimalField(
        max_digits=14, decimal_places=3, default=Decimal("0")
    )
    allow_negative_stock = models.BooleanField(default=False)
    return_window_days = models.PositiveIntegerField(default=30)
    reservation_ttl_minutes = models.PositiveIntegerField(default=15)
    # Till controls (SPEC §7): what a CASHIER may do without a manager's approval.
    max_cashier_discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Largest line or order discount (percent of the price) a cashier may give alone",
    )
    cashier_void_requires_approval = models.BooleanField(
        default=True, help_text="A cashier's void needs a manager's approval"
    )
    cashier_refund_limit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Largest refund a cashier may give alone, in the tenant's currency; blank: no limit",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.slug

    @property
    def zone(self) -> dt.tzinfo:
        """The tenant's time zone (``timezone``); UTC when blank or unknown."""
        try:
            return zoneinfo.ZoneInfo(self.timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return dt.UTC

    def day_start(self, day: dt.date) -> dt.datetime:
        """Local midnight starting ``day``, as an aware datetime (SPEC §9: dates are tenant-local)."""
        return dt.datetime.combine(day, dt.time.min, self.zone)

    def day_bounds(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> tuple[dt.datetime | None, dt.datetime | None]:
        """``[start, end)`` of the inclusive local date range; None for an open side.

        ``start`` is local midnight of ``date_from``, ``end`` local midnight of
        the day after ``date_to`` (so ``date_to`` is a whole day). SPEC §9.
        """
        start = self.day_start(date_from) if date_from else None
        end = self.day_start(date_to + dt.timedelta(days=1)) if date_to else None
        return start, end


class Role(models.TextChoices):
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    INTEGRATION = "INTEGRATION", "Integration (another system's API client)"
    CASHIER = "CASHIER"
    VIEWER = "VIEWER"


#: Roles that work a till (SPEC §5): open register sessions, sell at the till. VIEWER and
#: INTEGRATION (an API client: no till, staff or settings; issue 12 item 4) have none.
TILL_ROLES = (Role.OWNER, Role.MANAGER, Role.CASHIER)

# Read rank: INTEGRATION reads between CASHIER and MANAGER. What INTEGRATION may
# write (API sales, reservations; no till, staff or settings) is decided by the
# permission classes, not by this rank alone.
ROLE_RANK = {
    Role.VIEWER: 0,
    Role.CASHIER: 1,
    Role.INTEGRATION: 2,
    Role.MANAGER: 3,
    Role.OWNER: 4,
}


class Membership(models.Model):
    """A user's role in one tenant; ``locations`` empty means every location."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CASHIER)
    locations = models.ManyToManyField("locations.Location", blank=True, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[locations])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_tenant_user_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        """Whether the role ranks at least ``minimum`` (``ROLE_RANK``). INTEGRATION passes
        CASHIER checks by rank: a till or write rule asks :attr:`works_till` or the role."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]

    @property
    def works_till(self) -> bool:
        """Whether the member may open register sessions and sell at a till (``TILL_ROLES``)."""
        return self.role in TILL_ROLES

    def allowed_location_ids(self) -> set[int] | None:
        """Ids of the locations this member may touch, or None for all of them."""
        cache = getattr(self, "_allowed_location_ids", False)
        if cache is False:
            ids = set(self.locations.values_list("id", flat=True))
            cache = ids or None
            self._allowed_location_ids = cache
        return cache

    def can_access_location(self, location_id: int) -> bool:
        allowed = self.allowed_location_ids()
        return allowed is None or location_id in allowed
