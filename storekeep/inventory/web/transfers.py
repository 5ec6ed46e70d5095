"""Back-office transfers (SPEC §6, §11): tabs by status, create, send, receive in
part or in full, cancel a draft. Same services and role rules as the API: reads
VIEWER+, create/send/cancel MANAGER+ at the source, receive CASHIER+ at the
destination."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, Prefetch, Sum
from django.http import Http404
from django.shortcuts import redirect, render

from storekeep.core.errors import DomainError
from storekeep.tenants.models import Role
from storekeep.web.backoffice import BackOfficeView, FormErrors, describe_error, parse_decimal
from storekeep.web.templatetags.backoffice import qty as fmt_qty

from ..models import InventoryTransfer, InventoryTransferLine
from ..selectors import transfer_list
from ..services.transfers import (
    TransferLineInput,
    TransferReceiveLine,
    transfer_cancel,
    transfer_create,
    transfer_receive,
    transfer_send,
)
from .lines import attach_service_errors, line_count, line_qty, lines_message, read_lines

ZERO = Decimal("0")
Status = InventoryTransfer.Status
TABS = [
    ("DRAFT", "Drafts"),
    ("IN_TRANSIT", "In transit"),
    ("PARTIAL_RECEIVED", "Partially received"),
    ("RECEIVED", "Received"),
    ("CANCELLED", "Cancelled"),
    ("", "All"),
]


def visible_transfers(view):
    """The tenant's transfers touching a location the member may see (lines not loaded)."""
    return transfer_list(tenant=view.tenant, location_ids=view.location_scope()).prefetch_related(
        None
    )


class TransferListView(BackOfficeView):
    def get(self, request):
        status = request.GET.get("status", "IN_TRANSIT")
        if status not in Status.values:
            status = ""
        queryset = visible_transfers(self)
        counts = dict(
            queryset.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
        )
        if status:
            queryset = queryset.filter(status=status)
        queryset = (
            queryset.select_related("from_location", "to_location", "created_by")
            .annotate(
                line_count=Count("lines"),
                units=Sum("lines__qty"),
                units_remaining=Sum("lines__qty_sent") - Sum("lines__qty_received"),
            )
            .order_by("-created_at", "-id")
        )
        page = self.paginate(queryset)
        tabs = [
            (value, label, counts.get(value, 0) if value else sum(counts.values()))
            for value, label in TABS
        ]
        return render(
            request,
            "inventory/transfer_list.html",
            self.page_context(page=page, rows=page.object_list, status=status, tabs=tabs),
        )


class TransferCreateView(BackOfficeView):
    read_role = Role.MANAGER  # a form only a manager can submit

    def context(self, **extra):
        return self.page_context(locations=self.visible_locations(), **extra)

    def get(self, request):
        from .lines import FormLine

        lines = [FormLine(index=i) for i in range(line_count(request))]
        return render(request, "inventory/transfer_form.html", self.context(lines=lines, form={}))

    def post(self, request):
        form = {
            k: request.POST.get(k, "").strip()
            for k in ("from_location_id", "to_location_id", "note")
        }
        lines = read_lines(request.POST, ("qty",), tenant=self.tenant, count=line_count(request))
        used = [line for line in lines if not line.blank]
        inputs = []
        for line in used:
            qty = line_qty(line)
            if line.variant is not None and qty is not None:
                inputs.append(TransferLineInput(variant_id=line.variant.pk, qty=qty))
        errors = FormErrors()
        if not form["from_location_id"].isdigit() or not form["to_location_id"].isdigit():
            errors.message = "Choose where the goods leave from and where they go."
        else:
            errors.message = lines_message(used)
        if not errors.message:
            self.check_location(form["from_location_id"])
            try:
                transfer = transfer_create(
                    tenant=self.tenant,
                    from_location_id=int(form["from_location_id"]),
                    to_location_id=int(form["to_location_id"]),
                    lines=inputs,
                    note=form["note"][:2000],
                    actor=request.user,
                )
            except DomainError as exc:
                errors = FormErrors.from_error(exc)
                attach_service_errors(used, exc.details)
            else:
                messages.success(request, f"Transfer #{transfer.pk} saved as a draft.")
                return redirect("transfer", pk=transfer.pk)
        return render(
            request,
            "inventory/transfer_form.html",
            self.context(lines=lines, form=form, errors=errors),
            status=400,
        )


class TransferDetailView(BackOfficeView):
    write_role = Role.CASHIER  # receiving; send and cancel check MANAGER below

    def load(self, pk) -> InventoryTransfer:
        lines = InventoryTransferLine.objects.select_related("variant__product").order_by("pk")
        transfer = (
            visible_transfers(self)
            .filter(pk=pk)
            .select_related("from_location", "to_location", "created_by")
            .prefetch_related(Prefetch("lines", queryset=lines))
            .first()
        )
        if transfer is None:
            raise Http404("No such transfer.")
        return transfer

    def get(self, request, pk, errors: FormErrors | None = None, typed=None, status=200):
        transfer = self.load(pk)
        lines = list(transfer.lines.all())
        for line in lines:
            line.typed = (typed or {}).get(line.variant_id, line.qty_remaining)
            line.error = ((errors.fields or {}) if errors else {}).get(f"line-{line.variant_id}")
        membership = self.membership
        context = self.page_context(
            transfer=transfer,
            lines=lines,
            errors=errors,
            can_send=transfer.status == Status.DRAFT
            and membership.has_role(Role.MANAGER)
            and membership.can_access_location(transfer.from_location_id),
            can_receive=transfer.status in (Status.IN_TRANSIT, Status.PARTIAL_RECEIVED)
            and self.can_write()  # CASHIER+, not INTEGRATION
            and membership.can_access_location(transfer.to_location_id),
        )
        return render(request, "inventory/transfer_detail.html", context, status=status)

    def post(self, request, pk):
        transfer = self.load(pk)
        action = request.POST.get("action", "")
        try:
            if action in ("send", "cancel"):
                self.require_role(Role.MANAGER)
                self.check_location(transfer.from_location_id)
                command = transfer_send if action == "send" else transfer_cancel
                command(tenant=self.tenant, transfer_id=transfer.pk, actor=request.user)
                done = "sent: stock left the source" if action == "send" else "cancelled"
                messages.success(request, f"Transfer #{transfer.pk} {done}.")
            elif action in ("receive", "receive_all"):
                self.check_location(transfer.to_location_id)
                lines, typed, field_errors = [], {}, {}
                for line in transfer.lines.all():
                    if action == "receive_all":
                        qty = line.qty_remaining
                    else:
                        raw = request.POST.get(f"receive-{line.variant_id}", "")
                        qty = parse_decimal(
                            raw,
                            field=f"line-{line.variant_id}",
                            errors=field_errors,
                            required=False,
                        )
                        typed[line.variant_id] = raw
                    if qty is not None and qty < 0:
                        field_errors[f"line-{line.variant_id}"] = "Cannot be negative."
                    elif qty:
                        lines.append(
                            TransferReceiveLine(variant_id=line.variant_id, qty_receive=qty)
                        )
                if field_errors:
                    return self.get(
                        request,
                        pk,
                        errors=FormErrors("Check the quantities.", field_errors),
                        typed=typed,
                        status=400,
                    )
                if not lines:
                    return self.get(
                        request,
                        pk,
                        errors=FormErrors("Enter a quantity to receive on at least one line."),
                        typed=typed,
                        status=400,
                    )
                try:
                    transfer_receive(
                        tenant=self.tenant, transfer_id=transfer.pk, lines=lines, actor=request.user
                    )
                except DomainError as exc:
                    errors = FormErrors(describe_error(exc), {}, exc.code)
                    for over in exc.details.get("lines") or []:
                        if isinstance(over, dict) and "qty_remaining" in over:
                            errors.fields[f"line-{over['variant_id']}"] = (
                                f"Only {fmt_qty(over['qty_remaining'])} still to receive."
                            )
                    return self.get(request, pk, errors=errors, typed=typed, status=exc.status_code)
                messages.success(request, f"Goods of transfer #{transfer.pk} received.")
            else:
                raise Http404("Unknown action.")
        except DomainError as exc:
            return self.get(request, pk, errors=FormErrors.from_error(exc), status=exc.status_code)
        return redirect("transfer", pk=transfer.pk)
