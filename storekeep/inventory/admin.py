"""Django admin for inventory.

Shared file: the API engineer and the operational-inventory engineer both add
registrations here (append; do not restructure). Quantities are read-only in
the admin: they change only through the stock engine's services (SPEC §3.1).
"""

from django.contrib import admin

from .models import CountSession, CountSessionLine, InventoryTransfer, InventoryTransferLine

# --- Operational inventory (issue 5): transfers and cycle counts -------------------------------


class InventoryTransferLineInline(admin.TabularInline):
    model = InventoryTransferLine
    extra = 0
    can_delete = False
    fields = ["variant", "qty", "qty_sent", "qty_received", "qty_remaining"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InventoryTransfer)
class InventoryTransferAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "from_location", "to_location", "status", "created_at", "sent_at", "received_at"]
    list_filter = ["status", "tenant"]
    search_fields = ["id", "note"]
    list_select_related = ["tenant", "from_location", "to_location"]
    readonly_fields = ["tenant", "from_location", "to_location", "status", "created_by", "created_at", "sent_at",
                       "received_at", "cancelled_at"]
    fields = readonly_fields + ["note"]
    inlines = [InventoryTransferLineInline]

    def has_add_permission(self, request):
        return False  # transfers are created through the API (services validate and move stock)

    def has_delete_permission(self, request, obj=None):
        return False


class CountSessionLineInline(admin.TabularInline):
    model = CountSessionLine
    extra = 0
    can_delete = False
    fields = ["variant", "expected_qty", "counted_qty", "scanned_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CountSession)
class CountSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "location", "scope", "zone_name", "status", "created_at", "finalized_at"]
    list_filter = ["status", "scope", "tenant"]
    search_fields = ["id", "zone_name"]
    list_select_related = ["tenant", "location"]
    readonly_fields = ["tenant", "location", "scope", "zone_name", "status", "created_by", "created_at",
                       "finalized_at"]
    inlines = [CountSessionLineInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
