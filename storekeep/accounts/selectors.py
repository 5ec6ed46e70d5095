"""Reads of the staff (issue 12 item 1): members of a tenant, one member, a member's history."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from storekeep.core.filters import filter_queryset
from storekeep.core.selectors import get_object
from storekeep.tenants.models import Membership

from .filters import StaffFilter

#: The membership fields the history reports, in this order (``location_ids`` follows).
HISTORY_FIELDS = ("role", "is_active")


def _with_people(queryset: QuerySet) -> QuerySet:
    location_model = Membership._meta.get_field("locations").related_model
    return queryset.select_related("user").prefetch_related(
        Prefetch("locations", queryset=location_model.objects.order_by("code"))
    )


def staff_list(
    *, tenant, filters: dict | None = None, location_ids: Iterable[int] | None = None
) -> QuerySet[Membership]:
    """The tenant's members (user and stores loaded), by username.

    ``filters`` (StaffFilter): ``role``, ``is_active`` (true/false), ``search`` (words in the
    username, name or email). ``location_ids`` (None = everyone): only members assigned to at
    least one of these locations (a member assigned to "every location" is not among them).
    """
    members = Membership.objects.filter(tenant=tenant).order_by("user__username", "pk")
    if location_ids is not None:
        assigned = Membership.locations.through.objects.filter(
            membership_id=OuterRef("pk"), location_id__in=list(location_ids)
        )
        members = members.filter(Exists(assigned))
    members = filter_queryset(StaffFilter, members, filters, tenant=tenant)
    return _with_people(members)


def staff_get(*, tenant, membership_id) -> Membership:
    """One member of the tenant (user and stores loaded); 404 ``not_found`` for any other id."""
    return get_object(_with_people(Membership.objects.filter(tenant=tenant)), membership_id)


def staff_visible(*, actor: Membership, member: Membership) -> bool:
    """Whether ``actor`` may see ``member``: always themselves; a member assigned to some stores
    sees people working at one of them (``member.locations`` prefetched by :func:`staff_get`)."""
    allowed = actor.allowed_location_ids()
    if allowed is None or member.pk == actor.pk:
        return True
    return bool({location.pk for location in member.locations.all()} & allowed)


def staff_history(*, tenant, membership_id) -> list[dict]:
    """The member's history, oldest first: one entry per change (three queries in all).

    Each entry: ``history_id``, ``at`` (datetime), ``by`` (``{"id", "username"}`` or None when
    the change was made outside the staff services, e.g. a migration), ``action``
    (``created``/``changed``/``deleted``), ``note`` (what the services wrote: "added",
    "deactivated", "password set", "name changed"…), ``changes``: ``{field: {"old", "new"}}``
    for ``role``, ``is_active`` and ``location_ids`` that differ from the previous entry (every
    field, ``old`` None, for the first). 404 ``not_found`` for another tenant's id.
    """
    member = get_object(Membership.objects.filter(tenant=tenant), membership_id)
    historical = Membership.history.model
    m2m_model = historical.__dict__["locations"].model
    records = list(
        historical.objects.filter(id=member.pk, tenant_id=tenant.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    stores: dict[int, list[int]] = {record.history_id: [] for record in records}
    rows = m2m_model.objects.filter(history_id__in=list(stores)).values_list(
        "history_id", "location_id"
    )
    for history_id, location_id in rows:
        stores[history_id].append(location_id)
    entries, previous = [], None
    for record in records:
        state = {name: getattr(record, name) for name in HISTORY_FIELDS}
        state["location_ids"] = sorted(stores[record.history_id])
        entries.append(_entry(record, state, previous))
        previous = state
    return entries


def _entry(record, state: dict, previous: dict | None) -> dict:
    user = record.history_user
    return {
        "history_id": record.history_id,
        "at": record.history_date,
        "by": None if user is None else {"id": user.pk, "username": user.get_username()},
        "action": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
        "note": record.history_change_reason or "",
        "changes": {
            name: {"old": None if previous is None else previous[name], "new": value}
            for name, value in state.items()
            if previous is None or previous[name] != value
        },
    }
