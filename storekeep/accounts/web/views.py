"""Back-office staff pages (issue 14 item 8, through issue 12's staff services): list the
people, add a person with a role and stores, change role or stores, deactivate or reactivate,
set a new password, and read a person's history. Owners and managers only; the services decide
who may manage whom (a manager manages cashiers and viewers at their own stores, the last owner
stays), and the page shows only the roles and stores the member may give."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from storekeep.core.errors import DomainError, PermissionDenied
from storekeep.tenants.models import Role
from storekeep.web.backoffice import BackOfficeView, FormErrors

from ..selectors import staff_get, staff_history, staff_list, staff_visible
from ..services import (
    check_can_manage,
    grantable_roles,
    staff_create,
    staff_set_password,
    staff_update,
)


def _role_choices(membership) -> list[tuple[str, str]]:
    """Roles this member may hand out, in rank order (the service's own rule)."""
    allowed = grantable_roles(membership)
    return [(value, label) for value, label in Role.choices if value in allowed]


def _stores(ids, codes) -> str:
    return ", ".join(codes.get(pk, f"#{pk}") for pk in ids) if ids else "every location"


def _describe(entry: dict, codes: dict) -> str:
    """One history entry in words: "Added as cashier at STORE1", "Role: cashier → manager"…"""
    changes = entry["changes"]
    if entry["action"] == "created":
        role = Role(changes["role"]["new"]).label.lower()
        return f"Added as {role} at {_stores(changes['location_ids']['new'], codes)}"
    parts = []
    if "role" in changes:
        old, new = (Role(changes["role"][k]).label.lower() for k in ("old", "new"))
        parts.append(f"Role: {old} → {new}")
    if "location_ids" in changes:
        old, new = (_stores(changes["location_ids"][k], codes) for k in ("old", "new"))
        parts.append(f"Stores: {old} → {new}")
    notes = [n for n in entry["note"].split(", ") if n and n != "changed"]
    parts += [n[0].upper() + n[1:] for n in notes]
    return "; ".join(parts) or "Changed"


def _location_ids(post) -> list[int]:
    return sorted({int(v) for v in post.getlist("location_ids") if v.isdigit() and len(v) < 19})


class _StaffPage(BackOfficeView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def page_context(self, **extra) -> dict:
        return super().page_context(
            restricted=self.membership.allowed_location_ids() is not None, **extra
        )


class StaffListView(_StaffPage):
    def get(self, request, errors: FormErrors | None = None, form=None, status=200):
        shown = {
            "role": request.GET.get("role", ""),
            "active": request.GET.get("active", "1"),
            "search": request.GET.get("search", "").strip()[:100],
        }
        filters = {
            "role": shown["role"] if shown["role"] in Role.values else "",
            "is_active": {"1": True, "0": False}.get(shown["active"]),
            "search": shown["search"],
        }
        members = staff_list(
            tenant=self.tenant, filters=filters, location_ids=self.location_scope()
        )
        page = self.paginate(members)
        return render(
            request,
            "accounts/staff_list.html",
            self.page_context(
                page=page,
                rows=page.object_list,
                filters=shown,
                roles=Role.choices,
                grantable=_role_choices(self.membership),
                locations=self.visible_locations(),
                errors=errors,
                form=form or {"location_ids": []},
            ),
            status=status,
        )

    def post(self, request):
        form = {
            key: request.POST.get(key, "").strip() for key in ("username", "name", "email", "role")
        }
        form["location_ids"] = _location_ids(request.POST)
        try:
            member = staff_create(
                tenant=self.tenant,
                actor=self.membership,
                username=form["username"],
                password=request.POST.get("password", ""),
                role=form["role"],
                name=form["name"],
                email=form["email"],
                location_ids=form["location_ids"],
            )
        except DomainError as exc:
            return self.get(
                request, errors=FormErrors.from_error(exc), form=form, status=exc.status_code
            )
        messages.success(
            request, f"{member.user.username} added as {Role(member.role).label.lower()}."
        )
        return redirect("staff-member", pk=member.pk)


class StaffMemberView(_StaffPage):
    def member(self, pk):
        """The member (404 for another tenant's id; 403 page outside the member's stores)."""
        member = staff_get(tenant=self.tenant, membership_id=pk)
        if not staff_visible(actor=self.membership, member=member):
            raise PermissionDenied("This person does not work at your stores.")
        return member

    def get(self, request, pk, errors: FormErrors | None = None, status=200):
        member = self.member(pk)
        chosen = {loc.pk for loc in member.locations.all()}
        try:
            check_can_manage(self.membership, role=member.role, location_ids=chosen)
            manageable = True
        except PermissionDenied:
            manageable = False
        return render(
            request,
            "accounts/staff_member.html",
            self.page_context(
                member=member,
                chosen=chosen,
                grantable=_role_choices(self.membership),
                manageable=manageable,
                locations=self.visible_locations(),
                history=self.history(member),
                errors=errors,
                is_self=member.pk == self.membership.pk,
            ),
            status=status,
        )

    def history(self, member) -> list[dict]:
        """The member's history, newest first, as ``{"at", "by", "what"}`` sentences."""
        location_model = type(member).locations.field.related_model
        codes = dict(location_model.objects.filter(tenant=self.tenant).values_list("pk", "code"))
        entries = staff_history(tenant=self.tenant, membership_id=member.pk)
        return [
            {
                "at": entry["at"],
                "by": entry["by"]["username"] if entry["by"] else "—",
                "what": _describe(entry, codes),
            }
            for entry in reversed(entries)
        ]

    def post(self, request, pk):
        member = self.member(pk)
        action = request.POST.get("action", "")
        try:
            done = self.apply(action, member)
        except DomainError as exc:
            return self.get(request, pk, errors=FormErrors.from_error(exc), status=exc.status_code)
        if done is None:
            return self.get(request, pk, errors=FormErrors("Unknown action."), status=400)
        messages.success(request, f"{member.user.username} — {done}")
        return redirect("staff-member", pk=pk)

    def apply(self, action: str, member) -> str | None:
        """Run the form's action through the staff services; the message to show (None: unknown)."""
        common = {"tenant": self.tenant, "actor": self.membership, "membership_id": member.pk}
        post = self.request.POST
        if action == "update":
            staff_update(**common, role=post.get("role", ""), location_ids=_location_ids(post))
            return "role and stores saved."
        if action in ("deactivate", "reactivate"):
            staff_update(**common, is_active=action == "reactivate")
            if action == "reactivate":
                return "reactivated; they can sign in again."
            return "deactivated: they can no longer sign in, and their tokens and till session stop now."
        if action == "password":
            staff_set_password(**common, password=post.get("password", ""))
            return "new password set; their earlier sign-ins to the API are revoked."
        return None
