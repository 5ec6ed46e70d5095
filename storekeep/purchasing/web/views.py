"""Back-office purchasing (SPEC §6, §11): purchase orders by status, create with
lines, submit, receive in part (lots and expiry), cancel; vendors. Reads VIEWER+,
writes MANAGER+ at the order's location, through the purchasing services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import Count, F, Prefetch, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render

from storekeep.core.errors import DomainError
from storekeep.inventory.web.lines import (
    FormLine,
    attach_service_errors,
    line_count,
    line_qty,
    lines_message,
    read_lines,
)
from storekeep.tenants.models import Role
from storekeep.web.backoffice import BackOfficeView, FormErrors, describe_error, parse_decimal

from ..models import PurchaseOrder, PurchaseOrderLine, Vendor
from ..selectors import purchase_order_list
from ..services import (
    OrderLineInput,
    ReceiveLineInput,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_submit,
)

Status = PurchaseOrder.Status
TABS = [
    ("DRAFT", "Drafts"),
    ("SUBMITTED", "Submitted"),
    ("PARTIAL_RECEIVED", "Partially received"),
    ("RECEIVED", "Received"),
    ("CANCELLED", "Cancelled"),
    ("", "All"),
]


def visible_orders(view):
    """The tenant's orders for locations the member may see (lines not loaded)."""
    return purchase_order_list(
        tenant=view.tenant, location_ids=view.location_scope()
    ).prefetch_related(None)


class OrderListView(BackOfficeView):
    def get(self, request):
        status = request.GET.get("status", "")
        if status not in Status.values:
            status = ""
        queryset = visible_orders(self)
        counts = dict(
            queryset.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
        )
        vendor = self.param_int("vendor")
        if status:
            queryset = queryset.filter(status=status)
        if vendor:
            queryset = queryset.filter(vendor_id=vendor)
        queryset = (
            queryset.select_related("vendor", "location")
            .annotate(
                line_count=Count("lines"),
                total=Sum(F("lines__qty_ordered") * F("lines__unit_cost")),
                units=Sum("lines__qty_ordered"),
                units_received=Sum("lines__qty_received"),
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
            "purchasing/order_list.html",
            self.page_context(
                page=page,
                rows=page.object_list,
                status=status,
                tabs=tabs,
                vendor=vendor,
                vendors=list(Vendor.objects.filter(tenant=self.tenant).order_by("name")),
            ),
        )


class OrderCreateView(BackOfficeView):
    read_role = Role.MANAGER  # a form only a manager can submit

    def context(self, **extra):
        return self.page_context(
            locations=self.visible_locations(),
            vendors=list(
                Vendor.objects.filter(tenant=self.tenant, is_active=True).order_by("name")
            ),
            **extra,
        )

    def get(self, request):
        lines = [FormLine(index=i) for i in range(line_count(request))]
        return render(request, "purchasing/order_form.html", self.context(lines=lines, form={}))

    def post(self, request):
        keys = ("vendor_id", "location_id", "expected_at", "note")
        form = {k: request.POST.get(k, "").strip() for k in keys}
        lines = read_lines(
            request.POST, ("qty", "unit_cost"), tenant=self.tenant, count=line_count(request)
        )
        used = [line for line in lines if not line.blank]
        inputs = []
        for line in used:
            qty = line_qty(line)
            cost = parse_decimal(
                line.values["unit_cost"], field="unit_cost", errors=line.errors, required=False
            )
            if line.variant is not None and qty is not None and not line.errors:
                inputs.append(
                    OrderLineInput(variant_id=line.variant.pk, qty_ordered=qty, unit_cost=cost)
                )
        errors = FormErrors()
        expected = None
        if form["expected_at"]:
            try:
                expected = dt.date.fromisoformat(form["expected_at"])
            except ValueError:
                errors.message = "Expected date: use a date like 2026-12-31."
        if errors.message:
            pass
        elif not form["vendor_id"].isdigit() or not form["location_id"].isdigit():
            errors.message = "Choose the vendor and the location the goods are delivered to."
        else:
            errors.message = lines_message(used)
        if not errors.message:
            self.check_location(form["location_id"])
            try:
                order = purchase_order_create(
                    tenant=self.tenant,
                    vendor_id=int(form["vendor_id"]),
                    location_id=int(form["location_id"]),
                    lines=inputs,
                    note=form["note"][:2000],
                    expected_at=expected,
                    actor=request.user,
                )
            except DomainError as exc:
                errors = FormErrors.from_error(exc)
                attach_service_errors(used, exc.details)
            else:
                messages.success(request, f"Purchase order #{order.pk} saved as a draft.")
                return redirect("purchase-order", pk=order.pk)
        return render(
            request,
            "purchasing/order_form.html",
            self.context(lines=lines, form=form, errors=errors),
            status=400,
        )


class OrderDetailView(BackOfficeView):
    def load(self, pk) -> PurchaseOrder:
        lines = PurchaseOrderLine.objects.select_related("variant__product").order_by("pk")
        order = (
            visible_orders(self)
            .filter(pk=pk)
            .select_related("vendor", "location", "created_by")
            .prefetch_related(Prefetch("lines", queryset=lines))
            .first()
        )
        if order is None:
            raise Http404("No such purchase order.")
        return order

    def get(self, request, pk, errors: FormErrors | None = None, typed=None, status=200):
        order = self.load(pk)
        lines = list(order.lines.all())
        typed = typed or {}
        total = Decimal("0")
        for line in lines:
            line.remaining = max(line.qty_ordered - line.qty_received, Decimal("0"))
            line.total = (line.qty_ordered * line.unit_cost).quantize(Decimal("0.01"))
            line.typed = typed.get(line.variant_id) or {
                "qty": line.remaining,
                "unit_cost": "",
                "lot_code": "",
                "expiry_date": "",
            }
            line.error = ((errors.fields or {}) if errors else {}).get(f"line-{line.variant_id}")
            total += line.total
        can = self.can_write() and self.membership.can_access_location(order.location_id)
        return render(
            request,
            "purchasing/order_detail.html",
            self.page_context(
                order=order,
                lines=lines,
                total=total,
                errors=errors,
                can_submit=can and order.status == Status.DRAFT,
                can_receive=can and order.status in (Status.SUBMITTED, Status.PARTIAL_RECEIVED),
                can_cancel=can
                and order.status in (Status.DRAFT, Status.SUBMITTED, Status.PARTIAL_RECEIVED),
            ),
            status=status,
        )

    def post(self, request, pk):
        order = self.load(pk)
        self.check_location(order.location_id)
        action = request.POST.get("action", "")
        typed: dict = {}
        try:
            if action == "submit":
                purchase_order_submit(tenant=self.tenant, order_id=order.pk, actor=request.user)
                messages.success(request, f"Purchase order #{order.pk} submitted to the vendor.")
            elif action == "cancel":
                purchase_order_cancel(tenant=self.tenant, order_id=order.pk, actor=request.user)
                messages.success(request, f"Purchase order #{order.pk} cancelled.")
            elif action == "receive":
                receipt, field_errors = [], {}
                for line in order.lines.all():
                    values = {
                        name: request.POST.get(f"{name}-{line.variant_id}", "").strip()
                        for name in ("qty", "unit_cost", "lot_code", "expiry_date")
                    }
                    typed[line.variant_id] = values
                    line_errors: dict = {}
                    qty = parse_decimal(
                        values["qty"], field="qty", errors=line_errors, required=False
                    )
                    cost = parse_decimal(
                        values["unit_cost"], field="unit_cost", errors=line_errors, required=False
                    )
                    expiry = None
                    if values["expiry_date"]:
                        try:
                            expiry = dt.date.fromisoformat(values["expiry_date"])
                        except ValueError:
                            line_errors["expiry_date"] = "Use a date like 2026-12-31."
                    if qty is not None and qty < 0:
                        line_errors["qty"] = "Cannot be negative."
                    if qty and line.variant.track_lots and not values["lot_code"]:
                        line_errors["lot_code"] = "Tracked by lot: give the lot code."
                    if line_errors:
                        field_errors[f"line-{line.variant_id}"] = " ".join(line_errors.values())
                    elif qty:
                        receipt.append(
                            ReceiveLineInput(
                                variant_id=line.variant_id,
                                qty=qty,
                                unit_cost=cost,
                                lot_code=values["lot_code"] or None,
                                expiry_date=expiry,
                            )
                        )
                if field_errors or not receipt:
                    message = (
                        "Check the highlighted lines."
                        if field_errors
                        else ("Enter a quantity received on at least one line.")
                    )
                    return self.get(
                        request,
                        pk,
                        errors=FormErrors(message, field_errors),
                        typed=typed,
                        status=400,
                    )
                _, rows = purchase_order_receive(
                    tenant=self.tenant, order_id=order.pk, lines=receipt, actor=request.user
                )
                messages.success(
                    request,
                    f"Received {len(rows)} line(s) of purchase order #{order.pk} into stock.",
                )
            else:
                raise Http404("Unknown action.")
        except DomainError as exc:
            errors = FormErrors(describe_error(exc), {}, exc.code)
            for over in exc.details.get("lines") or []:
                if isinstance(over, dict) and "variant_id" in over:
                    errors.fields[f"line-{over['variant_id']}"] = exc.message
            if exc.details.get("variant_id"):
                errors.fields[f"line-{exc.details['variant_id']}"] = exc.message
            return self.get(request, pk, errors=errors, typed=typed, status=exc.status_code)
        return redirect("purchase-order", pk=order.pk)


class VendorForm(forms.ModelForm):
    class Meta:
        model = Vendor
        fields = ["name", "code", "email", "phone", "lead_time_days"]
        labels = {"lead_time_days": "Lead time (days)"}


class VendorListView(BackOfficeView):
    def get(self, request, form=None, status=200):
        vendors = (
            Vendor.objects.filter(tenant=self.tenant)
            .annotate(
                products=Count("variants", distinct=True),
                open_orders=Count(
                    "orders",
                    filter=Q(
                        orders__status__in=[Status.DRAFT, Status.SUBMITTED, Status.PARTIAL_RECEIVED]
                    ),
                    distinct=True,
                ),
            )
            .order_by("name", "pk")
        )
        page = self.paginate(vendors)
        return render(
            request,
            "purchasing/vendor_list.html",
            self.page_context(page=page, rows=page.object_list, form=form or VendorForm()),
            status=status,
        )

    def post(self, request):
        form = VendorForm(request.POST)
        if form.is_valid():
            name = form.cleaned_data["name"].strip()
            if Vendor.objects.filter(tenant=self.tenant, name__iexact=name).exists():
                form.add_error("name", "A vendor with this name already exists.")
            else:
                vendor = form.save(commit=False)
                vendor.tenant = self.tenant
                vendor.name = name
                vendor.save()
                messages.success(request, f"Vendor {vendor.name} added.")
                return redirect("vendors")
        return self.get(request, form=form, status=400)
