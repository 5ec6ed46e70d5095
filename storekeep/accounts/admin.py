"""Admin of API tokens: listed and revocable, never created or edited here (SPEC §10)."""

from django.contrib import admin
from django.utils import timezone

from storekeep.core.admin import ReadOnlyAdmin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "prefix",
        "membership",
        "tenant",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["tenant", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "membership__user__username"]
    list_select_related = ["tenant", "membership__user", "membership__tenant"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return (
            request.user.is_superuser
        )  # needed for the revoke action; every field stays read-only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ApiToken._meta.fields if f.name != "key_hash"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")
