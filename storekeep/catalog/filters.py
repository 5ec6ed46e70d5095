"""django-filter filter sets of the catalog API (SPEC §10)."""

import django_filters

from storekeep.core.filters import IdFilter

from .models import Category, Product, UnitConversion, Variant


class CategoryFilter(django_filters.FilterSet):
    parent_id = IdFilter(field_name="parent_id")

    class Meta:
        model = Category
        fields = ["parent_id"]


class ProductFilter(django_filters.FilterSet):
    category = IdFilter(field_name="category_id", help_text="category id")
    tax_category = IdFilter(field_name="tax_category_id", help_text="tax category id")

    class Meta:
        model = Product
        fields = ["category", "tax_category", "is_active"]


class VariantFilter(django_filters.FilterSet):
    product_id = IdFilter(field_name="product_id")
    category = IdFilter(field_name="product__category_id", help_text="category id")
    barcode = django_filters.CharFilter(field_name="barcode")
    sku = django_filters.CharFilter(field_name="sku")

    class Meta:
        model = Variant
        fields = [
            "product_id",
            "category",
            "is_active",
            "track_inventory",
            "track_lots",
            "barcode",
            "sku",
            "unit",
        ]


class UnitConversionFilter(django_filters.FilterSet):
    variant_id = IdFilter(field_name="variant_id")

    class Meta:
        model = UnitConversion
        fields = ["variant_id", "unit"]
