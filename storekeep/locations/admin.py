from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Location


@admin.register(Location)
class LocationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "type", "tenant", "is_active", "is_default"]
    list_filter = ["type", "is_active", "is_default", "tenant"]
    search_fields = ["code", "name", "address"]
    list_select_related = ["tenant"]
