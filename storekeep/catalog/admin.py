"""Catalog admin: variants with their unit conversions and recipe components inline."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from storekeep.core.admin import TenantConsistentForm, TenantInlineFormSet

from .models import Category, Product, RecipeComponent, TaxCategory, UnitConversion, Variant


def tenant_form(model_class):
    return type(
        f"{model_class.__name__}AdminForm",
        (TenantConsistentForm,),
        {"Meta": type("Meta", (), {"model": model_class, "fields": "__all__"})},
    )


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    form = tenant_form(Category)
    list_display = ["name", "parent", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent", "tenant"]


@admin.register(TaxCategory)
class TaxCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "rate", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["name"]


class VariantInline(admin.TabularInline):
    model = Variant
    formset = TenantInlineFormSet
    extra = 0
    fields = [
        "sku",
        "barcode",
        "name",
        "price",
        "cost",
        "unit",
        "track_inventory",
        "track_lots",
        "is_active",
    ]
    show_change_link = True


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    form = tenant_form(Product)
    list_display = ["name", "category", "tax_category", "is_active", "tenant"]
    list_filter = ["is_active", "tenant", "category"]
    search_fields = ["name", "variants__sku", "variants__barcode"]
    raw_id_fields = ["category", "tax_category"]
    list_select_related = ["category", "tax_category", "tenant"]
    inlines = [VariantInline]


class UnitConversionInline(admin.TabularInline):
    model = UnitConversion
    formset = TenantInlineFormSet
    fields = ["unit", "factor"]
    extra = 0


class RecipeComponentInline(admin.TabularInline):
    model = RecipeComponent
    formset = TenantInlineFormSet
    fk_name = "parent"
    fields = ["component", "qty"]
    raw_id_fields = ["component"]
    extra = 0


@admin.register(Variant)
class VariantAdmin(SimpleHistoryAdmin):
    form = tenant_form(Variant)
    list_display = [
        "sku",
        "product",
        "name",
        "price",
        "cost",
        "unit",
        "track_inventory",
        "track_lots",
        "is_active",
        "tenant",
    ]
    list_filter = ["is_active", "track_inventory", "track_lots", "unit", "tenant"]
    search_fields = ["sku", "barcode", "name", "product__name"]
    raw_id_fields = ["product"]
    list_select_related = ["product", "tenant"]
    inlines = [UnitConversionInline, RecipeComponentInline]
