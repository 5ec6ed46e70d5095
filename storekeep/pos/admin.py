"""Django admin for the point of sale.

Sales, payments, ledger-relevant amounts and returns are read-only here: they
change only through the services. Adding a sale in the admin goes through the
same `checkout` service (``source=ADMIN``), and the "void" action through
`sale_void`, so stock and ledger are the same as at the till (SPEC §5).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from storekeep.core.errors import DomainError
from storekeep.locations.models import Location

from .error_codes import PosErrorCode
from .models import (
    Payment,
    ReceiptSequence,
    Register,
    RegisterSession,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
)
from .services import sale_record_by_sku, sale_void


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SaleLineInline(ReadOnlyInline):
    model = SaleLine
    fields = [
        "line_no",
        "variant",
        "qty",
        "unit_price",
        "gross",
        "discount",
        "net",
        "tax_rate",
        "tax",
        "fee",
        "line_total",
        "unit_cost",
        "qty_returned",
    ]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["method", "amount", "tendered"]
    readonly_fields = fields


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fk_name = "ret"
    fields = [
        "sale_line",
        "variant",
        "qty",
        "disposition",
        "unit_price",
        "refund_gross",
        "refund_discount",
        "refund_net",
        "refund_tax",
        "refund_fee",
        "refund_total",
    ]
    readonly_fields = fields


@admin.register(Register)
class RegisterAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "location", "tenant", "is_active", "receipt_counter"]
    list_filter = ["is_active", "tenant"]
    search_fields = ["code", "name", "location__code"]
    readonly_fields = ["receipt_counter", "created_at", "updated_at"]
    raw_id_fields = ["location", "tenant"]


@admin.register(RegisterSession)
class RegisterSessionAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "register",
        "opened_by",
        "status",
        "opened_at",
        "closed_at",
        "opening_float",
        "expected_cash",
        "counted_cash",
        "variance",
    ]
    list_filter = ["status", "tenant"]
    exclude = ["token_hash"]
    readonly_fields = [
        "tenant",
        "register",
        "opened_by",
        "closed_by",
        "opening_float",
        "status",
        "opened_at",
        "closed_at",
        "counted_cash",
        "expected_cash",
        "variance",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False  # sessions are opened at the till (they hand out a token)

    def has_delete_permission(self, request, obj=None):
        return False


class AdminSaleForm(forms.ModelForm):
    """Record a sale from the admin through `sale_record_by_sku` → `checkout` (``source=ADMIN``)."""

    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One line per item: <code>SKU qty [unit_price]</code>, e.g. <code>MUG-RED 2 9.50</code>.",
    )

    class Meta:
        model = Sale
        fields = ["location", "external_ref", "customer_ref"]

    def clean(self):
        cleaned = super().clean()
        location: Location | None = cleaned.get("location")
        if location is None or self.errors:
            return cleaned
        tenant = location.tenant
        parsed = []
        for number, raw in enumerate(cleaned.get("lines", "").splitlines(), start=1):
            parts = raw.split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                raise forms.ValidationError(f"Line {number}: expected 'SKU qty [unit_price]'.")
            try:
                qty = Decimal(parts[1])
                price = Decimal(parts[2]) if len(parts) == 3 else None
            except InvalidOperation:
                raise forms.ValidationError(
                    f"Line {number}: qty and price must be numbers."
                ) from None
            parsed.append((parts[0], qty, price))
        try:
            self.checkout_result = sale_record_by_sku(
                tenant=tenant,
                location=location,
                lines=parsed,
                actor=self.request_user,
                external_ref=cleaned.get("external_ref") or "",
                customer_ref=cleaned.get("customer_ref") or "",
            )
        except DomainError as exc:
            if exc.code == PosErrorCode.UNKNOWN_VARIANT and "skus" in (exc.details or {}):
                raise forms.ValidationError(exc.message) from None
            raise forms.ValidationError(f"{exc.message} ({exc.code}) {exc.details or ''}") from None
        return cleaned


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = [
        "receipt_number",
        "tenant",
        "location",
        "status",
        "source",
        "total",
        "completed_at",
    ]
    list_filter = ["status", "source", "tenant"]
    search_fields = ["receipt_number", "external_ref"]
    date_hierarchy = "completed_at"
    actions = ["void_sales"]
    list_select_related = ["tenant", "location"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AdminSaleForm
            form = super().get_form(request, obj, change=change, **kwargs)
            form.request_user = request.user
            return form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["location", "lines", "external_ref", "customer_ref"]
        return [f.name for f in Sale._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in Sale._meta.fields]

    def get_inlines(self, request, obj):
        return [] if obj is None else [SaleLineInline, PaymentInline]

    def save_model(self, request, obj, form, change):
        if not change:
            sale = form.checkout_result.sale
            obj.__dict__.update({k: v for k, v in sale.__dict__.items() if k != "_state"})
            obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Void selected sales (restores stock with VOID rows)")
    def void_sales(self, request, queryset):
        done = 0
        for sale in queryset.select_related("tenant"):
            try:
                _, applied = sale_void(tenant=sale.tenant, sale_id=sale.pk, actor=request.user)
                done += applied
            except DomainError as exc:
                self.message_user(request, f"{sale.receipt_number}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Voided {done} sale(s).")


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = ["pk", "tenant", "sale", "location", "status", "refund_total", "finalized_at"]
    list_filter = ["status", "tenant"]
    inlines = [ReturnLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Return._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReceiptSequence)
class ReceiptSequenceAdmin(admin.ModelAdmin):
    list_display = ["tenant", "location", "series", "last_value"]
    readonly_fields = ["tenant", "location", "series", "last_value"]

    def has_add_permission(self, request):
        return False
