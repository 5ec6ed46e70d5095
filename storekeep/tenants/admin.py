"""Admin of tenants and memberships. Tenant settings go through ``tenants.services``."""

from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from storekeep.core.admin import TenantConsistentForm
from storekeep.core.currencies import CURRENCY_RULE, is_currency
from storekeep.core.errors import DomainError

from .models import Membership, Tenant
from .services import tenant_update_settings


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "is_active"]
    raw_id_fields = ["user"]
    show_change_link = True


class TenantForm(forms.ModelForm):
    """The admin's tenant form (its fields come from ``TenantAdmin``): currency checked."""

    def clean_currency(self):
        code = self.cleaned_data["currency"]
        if not is_currency(code):
            raise forms.ValidationError(f"Not {CURRENCY_RULE}.")
        return code.upper()


@admin.register(Tenant)
class TenantAdmin(SimpleHistoryAdmin):
    form = TenantForm
    list_display = [
        "slug",
        "name",
        "currency",
        "timezone",
        "prices_include_tax",
        "allow_negative_stock",
        "is_active",
        "created_at",
    ]
    list_filter = ["is_active", "currency", "prices_include_tax", "allow_negative_stock"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        """``allow_negative_stock`` changes go through the service (it syncs every item's CHECK flag)."""
        if change and "allow_negative_stock" in form.changed_data:
            try:
                tenant_update_settings(
                    tenant=Tenant.objects.get(pk=obj.pk),
                    allow_negative_stock=obj.allow_negative_stock,
                )
            except DomainError as exc:
                messages.error(
                    request, f"allow_negative_stock unchanged: {exc.message} {exc.details or ''}"
                )
                obj.allow_negative_stock = not obj.allow_negative_stock
        super().save_model(request, obj, form, change)


class MembershipForm(TenantConsistentForm):
    class Meta:
        model = Membership
        fields = "__all__"


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    form = MembershipForm
    list_display = ["user", "tenant", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active", "tenant"]
    search_fields = ["user__username", "tenant__slug"]
    raw_id_fields = ["user"]
    filter_horizontal = ["locations"]
    list_select_related = ["user", "tenant"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "locations":
            field.help_text = "Empty means every location of the tenant."
        return field

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        foreign = form.instance.locations.exclude(tenant_id=form.instance.tenant_id)
        if foreign.exists():
            form.instance.locations.remove(*foreign)
            messages.warning(
                request, "Locations of another tenant were removed from this membership."
            )
