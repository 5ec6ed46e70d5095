"""What every back-office page shares (SPEC §11): the member behind the session
(``storekeep.web.access``),
role and location checks, paging, sorting and the way service errors become
messages. Pages call the same selectors and services as the API.

A view states ``read_role`` (default VIEWER) and ``write_role`` (default
MANAGER) like an API view. ``GET``/``HEAD`` need the read role, anything else
the write role; a member below it gets a 403 page that says which role is needed.
An INTEGRATION member (an API client) reads as its rank allows and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.utils.dateparse import parse_date
from django.views import View

from storekeep.core.errors import DomainError, NotFound
from storekeep.core.errors import PermissionDenied as DomainPermissionDenied
from storekeep.locations.models import Location
from storekeep.tenants.models import Role
from storekeep.web.access import check_member, forbidden

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50


class BackOfficeView(View):
    read_role: str = Role.VIEWER
    write_role: str = Role.MANAGER
    template_name: str = ""

    def dispatch(self, request, *args, **kwargs):
        refusal = check_member(request)
        if refusal is not None:
            return refusal
        self.membership, self.tenant = request.membership, request.tenant
        reading = request.method in ("GET", "HEAD")
        if not reading and self.membership.role == Role.INTEGRATION:
            return self.refuse("An integration account only reads here; it changes nothing.")
        needed = self.read_role if reading else self.write_role
        if not self.membership.has_role(needed):
            return self.refuse(
                f"This needs the {Role(needed).label.lower()} role or higher; "
                f"you are {Role(self.membership.role).label.lower()}."
            )
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except DomainError as exc:
            return self.refuse(describe_error(exc), status=exc.status_code)

    def refuse(self, message: str, *, status: int = 403):
        return forbidden(self.request, message, status=status)

    # --- locations ---------------------------------------------------------------

    def location_scope(self) -> list[int] | None:
        """The member's location ids, or None when they may see every location."""
        allowed = self.membership.allowed_location_ids()
        return None if allowed is None else sorted(allowed)

    def visible_locations(self, *, types: Iterable[str] | None = None) -> list[Location]:
        """The tenant's active locations the member may see, by code."""
        queryset = Location.objects.filter(tenant=self.tenant, is_active=True).order_by("code")
        scope = self.location_scope()
        if scope is not None:
            queryset = queryset.filter(pk__in=scope)
        if types:
            queryset = queryset.filter(type__in=list(types))
        return list(queryset)

    def check_location(self, location_id) -> int:
        """The id as an int when the member may act there, else PermissionDenied (a 403 page)."""
        location_id = int(location_id)
        if not self.membership.can_access_location(location_id):
            raise DomainPermissionDenied("You are not assigned to this location.")
        return location_id

    def require_role(self, role: str) -> None:
        """PermissionDenied (a 403 page) when the member ranks below ``role`` (INTEGRATION: always)."""
        if self.membership.role == Role.INTEGRATION or not self.membership.has_role(role):
            raise DomainPermissionDenied(
                f"This needs the {Role(role).label.lower()} role or higher; "
                f"you are {Role(self.membership.role).label.lower()}."
            )

    def can_write(self) -> bool:
        return self.membership.role != Role.INTEGRATION and self.membership.has_role(
            self.write_role
        )

    # --- query parameters --------------------------------------------------------

    def param_int(self, name: str) -> int | None:
        value = self.request.GET.get(name, "").strip()
        return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None

    def param_date(self, name: str):
        value = self.request.GET.get(name, "").strip()
        try:
            return parse_date(value) if value else None
        except ValueError:
            return None

    def paginate(self, queryset, *, default_size: int = DEFAULT_PAGE_SIZE):
        """One page of ``queryset`` (a COUNT and the page's rows: two queries)."""
        size = self.param_int("page_size") or default_size
        size = size if size in PAGE_SIZES else default_size
        paginator = Paginator(queryset, size)
        try:
            return paginator.page(self.request.GET.get("page") or 1)
        except (PageNotAnInteger, EmptyPage):
            return paginator.page(paginator.num_pages if paginator.count else 1)

    def sort(self, columns: dict[str, tuple[str, ...]], default: str) -> tuple[str, list[str]]:
        """``?sort=name`` or ``?sort=-name`` among ``columns`` (name → order_by fields)."""
        asked = self.request.GET.get("sort", default)
        key = asked.lstrip("-")
        if key not in columns:
            asked, key = default, default.lstrip("-")
        descending = asked.startswith("-")
        fields = [("-" if descending else "") + f for f in columns[key]]
        return asked, fields

    def page_context(self, **extra) -> dict:
        """The template context: ``errors`` (a FormErrors) becomes the shell's ``error``
        message at the top of the page and ``form_errors`` for the fields and lines."""
        form_errors = extra.pop("errors", None)
        return {
            "form_errors": form_errors,
            "error": form_errors.message if form_errors else "",
            "membership": self.membership,
            "tenant": self.tenant,
            "can_write": self.can_write(),
            "page_sizes": PAGE_SIZES,
            **extra,
        }


@dataclass
class FormErrors:
    """Messages of a failed form post: one for the page and one per field or line."""

    message: str = ""
    fields: dict | None = None
    code: str = ""

    @classmethod
    def from_error(cls, exc: DomainError) -> FormErrors:
        return cls(message=describe_error(exc), fields=exc.details or {}, code=exc.code)


def describe_error(exc: DomainError) -> str:
    """A sentence a manager understands for a service error (the code stays in the page)."""
    from storekeep.core.errors import ErrorCode

    if exc.code == ErrorCode.VERSION_CONFLICT:
        return (
            "This stock changed since you opened it (someone sold, received or adjusted it). "
            "Check the new quantity below and try again."
        )
    if exc.code == ErrorCode.INSUFFICIENT_STOCK:
        lines = exc.details.get("lines") or []
        from storekeep.web.templatetags.backoffice import qty

        parts = [
            f"{line.get('sku')}: {qty(line.get('available'))} available, "
            f"{qty(line.get('requested'))} asked"
            for line in lines
        ]
        return "Not enough stock. " + "; ".join(parts) if parts else exc.message
    return exc.message


def parse_decimal(value, *, field: str, errors: dict, required: bool = True) -> Decimal | None:
    """A Decimal from a form value, or None after adding a message for ``field`` to ``errors``."""
    value = (value or "").strip().replace(",", ".")
    if not value:
        if required:
            errors[field] = "Required."
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors[field] = f"{value!r} is not a number."
        return None
    if not number.is_finite():
        errors[field] = f"{value!r} is not a number."
        return None
    return number
