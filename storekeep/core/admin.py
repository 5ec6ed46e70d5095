"""Admin support shared by every app, and the core models' admin.

``ReadOnlyAdmin``: rows written only by services (ledger, idempotency records,
outbox events) are shown, filtered and searched, never added, changed or deleted.
``TenantConsistentForm``: an admin form refusing references to another
tenant's rows (SPEC §3.6 holds in the admin too).
"""

from django import forms
from django.contrib import admin

from .models import IdempotencyRecord, OutboxEvent, TenantScopedModel


class ReadOnlyAdmin(admin.ModelAdmin):
    """Show-only admin: no add, no change, no delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TenantConsistentForm(forms.ModelForm):
    """Refuses a foreign key to a row of another tenant than the edited row's."""

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant")
        if tenant is None and getattr(self.instance, "tenant_id", None):
            tenant = self.instance.tenant
        if tenant is None:
            return cleaned
        for name, value in cleaned.items():
            if isinstance(value, TenantScopedModel) and value.tenant_id != tenant.pk:
                self.add_error(name, f"Belongs to another tenant than {tenant}.")
        return cleaned


class TenantInlineFormSet(forms.BaseInlineFormSet):
    """Inline rows take the parent's tenant (they are never of another tenant)."""

    def save_new(self, form, commit=True):
        form.instance.tenant_id = self.instance.tenant_id
        return super().save_new(form, commit=commit)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "tenant", "response_status", "created_at"]
    list_filter = ["tenant", "response_status"]
    search_fields = ["key"]
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "tenant", "event_type", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "event_type", "tenant"]
    search_fields = ["event_type", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]
