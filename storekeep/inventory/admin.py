"""Django admin for inventory.

Quantities are read-only in the admin: they change only through the stock engine's services (SPEC §3.1).
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from storekeep.core.admin import ReadOnlyAdmin

from .models import (
    CountSession,
    CountSessionLine,
    InventoryItem,
    InventoryTransfer,
    InventoryTransferLine,
    Lot,
    LowStockAlert,
    Reservation,
    StockLedger,
)
from .services.reservations import expire_reservation

# --- Transfers and cycle counts -----------------------------------------------------------------


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
    list_display = [
        "id",
        "tenant",
        "from_location",
        "to_location",
        "status",
        "created_at",
        "sent_at",
        "received_at",
    ]
    list_filter = ["status", "tenant"]
    search_fields = ["id", "note"]
    list_select_related = ["tenant", "from_location", "to_location"]
    readonly_fields = [
        "tenant",
        "from_location",
        "to_location",
        "status",
        "created_by",
        "created_at",
        "sent_at",
        "received_at",
        "cancelled_at",
    ]
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
    list_display = [
        "id",
        "tenant",
        "location",
        "scope",
        "zone_name",
        "status",
        "created_at",
        "finalized_at",
    ]
    list_filter = ["status", "scope", "tenant"]
    search_fields = ["id", "zone_name"]
    list_select_related = ["tenant", "location"]
    readonly_fields = [
        "tenant",
        "location",
        "scope",
        "zone_name",
        "status",
        "created_by",
        "created_at",
        "finalized_at",
    ]
    inlines = [CountSessionLineInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Stock, ledger, lots, reservations, low-stock alerts ------------------------------------------
# Quantities are never editable here: they change only through storekeep.inventory.services.


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    list_display = [
        "variant",
        "location",
        "on_hand",
        "reserved",
        "available",
        "reorder_point",
        "version",
        "low_stock_alerted",
        "last_movement_at",
        "tenant",
    ]
    list_filter = ["tenant", "location", "low_stock_alerted", "allow_negative"]
    search_fields = ["variant__sku", "variant__barcode", "variant__product__name"]
    list_select_related = ["variant__product", "location", "tenant"]
    fields = [
        "tenant",
        "location",
        "variant",
        "on_hand",
        "reserved",
        "avg_unit_cost",
        "version",
        "reorder_point",
        "reorder_qty",
        "low_stock_alerted",
        "allow_negative",
        "last_movement_at",
        "last_counted_at",
        "reservations",
    ]
    readonly_fields = [f for f in fields if f not in ("reorder_point", "reorder_qty")]
    actions = ["release_expired_now"]

    @admin.display(description="available")
    def available(self, obj):
        return obj.available

    @admin.display(description="reservations (newest 50)")
    def reservations(self, obj):
        """The item's reservations inline (a Reservation names its location and variant, not
        the item, so this is a read-only table rather than a model inline)."""
        rows = Reservation.objects.filter(
            tenant_id=obj.tenant_id, location_id=obj.location_id, variant_id=obj.variant_id
        ).order_by("-created_at", "-pk")[:50]
        if not rows:
            return "none"
        body = format_html_join(
            "",
            "<tr><td><a href='../../../reservation/{}/change/'>{}</a></td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            ((r.pk, r.pk, r.status, r.qty, r.order_ref, r.expires_at) for r in rows),
        )
        return format_html(
            "<table><thead><tr><th>id</th><th>status</th><th>qty</th><th>order ref</th>"
            "<th>expires at</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.action(description="Release expired reservations of the selected items now")
    def release_expired_now(self, request, queryset):
        count = 0
        for item in queryset:
            overdue = Reservation.objects.filter(
                tenant_id=item.tenant_id,
                location_id=item.location_id,
                variant_id=item.variant_id,
            )
            count += _expire_overdue(overdue)
        self.message_user(request, f"{count} expired reservation(s) released.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False  # items are created by the engine on the first movement

    def has_delete_permission(self, request, obj=None):
        return False  # deleting an item would break ledger parity (SPEC §3.2)


@admin.register(StockLedger)
class StockLedgerAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "ref_type",
        "ref_id",
        "location",
        "variant",
        "qty_delta",
        "balance_after",
        "unit_cost",
        "reason",
        "actor",
        "tenant",
    ]
    list_filter = ["ref_type", "reason", "location", "tenant"]
    date_hierarchy = "created_at"
    search_fields = ["ref_id", "note", "variant__sku"]
    list_select_related = ["location", "variant__product", "actor", "tenant"]
    show_full_result_count = False  # the ledger is large: no extra COUNT(*) per page


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = [
        "lot_code",
        "variant",
        "location",
        "qty",
        "expiry_date",
        "received_at",
        "unit_cost",
        "tenant",
    ]
    list_filter = ["tenant", "location", "expiry_date"]
    search_fields = ["lot_code", "variant__sku"]
    list_select_related = ["variant__product", "location", "tenant"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "variant",
        "location",
        "qty",
        "status",
        "order_ref",
        "expires_at",
        "tenant",
    ]
    list_filter = ["status", "tenant", "location"]
    search_fields = ["order_ref", "variant__sku"]
    list_select_related = ["variant__product", "location", "tenant"]
    actions = ["release_expired_now"]

    @admin.action(description="Release expired now (the selected overdue pending reservations)")
    def release_expired_now(self, request, queryset):
        count = _expire_overdue(queryset)
        self.message_user(request, f"{count} expired reservation(s) released.", messages.SUCCESS)


def _expire_overdue(queryset) -> int:
    """Expire the PENDING reservations of ``queryset`` past their expiry through the engine
    (as the beat job does, SPEC §8); returns how many this call expired."""
    overdue = queryset.filter(
        status=Reservation.Status.PENDING, expires_at__lte=timezone.now()
    ).select_related("tenant")
    return sum(
        expire_reservation(tenant=reservation.tenant, reservation_id=reservation.pk)
        for reservation in overdue
    )


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "variant",
        "location",
        "available",
        "threshold",
        "acknowledged_at",
        "tenant",
    ]
    list_filter = ["tenant", "location", ("acknowledged_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    search_fields = ["variant__sku"]
    list_select_related = ["variant__product", "location", "tenant"]
