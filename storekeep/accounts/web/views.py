"""Back-office staff pages (SPEC §2, §11): list members, add a person with a role
and stores, change role or stores, deactivate or reactivate, set a new password.
Owners and managers only; the staff services decide who may manage whom (a
manager manages cashiers and viewers at their own stores, the last owner stays)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from storekeep.core.errors import DomainError
from storekeep.tenants.models import Role
from storekeep.web.backoffice import BackOfficeView, FormErrors

from ..selectors import staff_get, staff_list
from ..services import grantable_roles, staff_create, staff_set_password, staff_update


def _role_choices(membership) -> list[tuple[str, str]]:
    """Roles this member may hand out, in rank order (the service's own rule)."""
    allowed = grantable_roles(membership)
    return [(value, label) for value, label in Role.choices if value in allowed]


def _location_ids(post) -> list[int]:
    return sorted({int(v) for v in post.getlist("location_ids") if v.isdigit()})


class StaffListView(BackOfficeView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

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


class StaffMemberView(BackOfficeView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request, pk, errors: FormErrors | None = None, status=200):
        member = staff_get(tenant=self.tenant, membership_id=pk)
        chosen = {loc.pk for loc in member.locations.all()}
        roles = _role_choices(self.membership)
        if member.role not in dict(roles):
            roles = [(member.role, Role(member.role).label), *roles]
        return render(
            request,
            "accounts/staff_member.html",
            self.page_context(
                member=member,
                chosen=chosen,
                grantable=roles,
                locations=self.visible_locations(),
                errors=errors,
                is_self=member.pk == self.membership.pk,
            ),
            status=status,
        )

    def post(self, request, pk):
        action = request.POST.get("action", "")
        try:
            if action == "update":
                member = staff_update(
                    tenant=self.tenant,
                    actor=self.membership,
                    membership_id=pk,
                    role=request.POST.get("role", ""),
                    location_ids=_location_ids(request.POST),
                )
                done = "Role and stores saved."
            elif action in ("deactivate", "reactivate"):
                member = staff_update(
                    tenant=self.tenant,
                    actor=self.membership,
                    membership_id=pk,
                    is_active=action == "reactivate",
                )
                done = (
                    "Deactivated: they can no longer sign in, and their tokens are revoked."
                    if action == "deactivate"
                    else "Reactivated."
                )
            elif action == "password":
                member = staff_set_password(
                    tenant=self.tenant,
                    actor=self.membership,
                    membership_id=pk,
                    password=request.POST.get("password", ""),
                )
                done = "New password set; their existing sign-ins to the API are revoked."
            else:
                return self.get(request, pk, errors=FormErrors("Unknown action."), status=400)
        except DomainError as exc:
            return self.get(request, pk, errors=FormErrors.from_error(exc), status=exc.status_code)
        messages.success(request, f"{member.user.username}: {done}")
        return redirect("staff-member", pk=pk)
