"""Django admin for vendors and purchase orders (SPEC §6).

Order quantities received are read-only: receipts go through the purchasing
services and the stock engine.
"""

from django.contrib import admin

from .models import PurchaseOrder, PurchaseOrderLine, Vendor, VendorVariant


class VendorVariantInline(admin.TabularInline):
    model = VendorVariant
    extra = 0
    fields = ["variant", "vendor_sku", "unit_cost", "is_preferred"]
    raw_id_fields = ["variant"]


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "tenant", "lead_time_days", "is_active"]
    list_filter = ["is_active", "tenant"]
    search_fields = ["name", "code", "email"]
    list_select_related = ["tenant"]
    inlines = [VendorVariantInline]

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            obj.tenant_id = form.instance.tenant_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    can_delete = False
    fields = ["variant", "qty_ordered", "qty_received", "unit_cost"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "tenant",
        "vendor",
        "location",
        "status",
        "expected_at",
        "created_at",
        "received_at",
    ]
    list_filter = ["status", "tenant"]
    search_fields = ["id", "vendor__name", "note"]
    list_select_related = ["tenant", "vendor", "location"]
    readonly_fields = [
        "tenant",
        "vendor",
        "location",
        "status",
        "created_by",
        "created_at",
        "submitted_at",
        "received_at",
        "cancelled_at",
    ]
    fields = readonly_fields + ["expected_at", "note"]
    inlines = [PurchaseOrderLineInline]

    def has_add_permission(self, request):
        return False  # orders are drafted through the API (services validate lines)

    def has_delete_permission(self, request, obj=None):
        return False
