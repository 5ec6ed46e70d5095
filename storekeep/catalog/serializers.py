"""Catalog API serializers (SPEC §2, §10). References travel as ``<name>_id``."""

from decimal import Decimal

from rest_framework import serializers

from storekeep.core.serializers import (
    DecimalField,
    TenantModelSerializer,
    TenantPrimaryKeyRelatedField,
)

from .models import QTY, Category, Product, TaxCategory, UnitConversion, Variant

ZERO = Decimal("0")


class CategorySerializer(TenantModelSerializer):
    parent_id = TenantPrimaryKeyRelatedField(
        Category, source="parent", required=False, allow_null=True
    )

    class Meta:
        model = Category
        fields = ["id", "name", "parent_id", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_parent_id(self, parent):
        if parent is not None and self.instance is not None:
            node, seen = parent, set()
            while node is not None and node.pk not in seen:
                if node.pk == self.instance.pk:
                    raise serializers.ValidationError("A category cannot be its own ancestor.")
                seen.add(node.pk)
                node = node.parent
        return parent


class TaxCategorySerializer(TenantModelSerializer):
    rate = DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=ZERO,
        max_value=Decimal("100"),
        help_text="Percent: 20 means 20 %.",
    )

    class Meta:
        model = TaxCategory
        fields = ["id", "name", "rate", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ProductSerializer(TenantModelSerializer):
    category_id = TenantPrimaryKeyRelatedField(
        Category, source="category", required=False, allow_null=True
    )
    tax_category_id = TenantPrimaryKeyRelatedField(
        TaxCategory, source="tax_category", required=False, allow_null=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "description",
            "category_id",
            "tax_category_id",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class VariantSerializer(TenantModelSerializer):
    product_id = TenantPrimaryKeyRelatedField(Product, source="product")
    product_name = serializers.CharField(source="product.name", read_only=True)
    barcode = serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True
    )
    price = DecimalField(max_digits=14, decimal_places=4, min_value=ZERO, required=False)
    cost = DecimalField(max_digits=14, decimal_places=4, min_value=ZERO, required=False)
    fee = DecimalField(max_digits=12, decimal_places=2, min_value=ZERO, required=False)
    reorder_point = DecimalField(**QTY, min_value=ZERO, required=False, allow_null=True)
    reorder_qty = DecimalField(**QTY, min_value=ZERO, required=False, allow_null=True)

    class Meta:
        model = Variant
        fields = [
            "id",
            "product_id",
            "product_name",
            "sku",
            "barcode",
            "name",
            "price",
            "cost",
            "unit",
            "track_inventory",
            "track_lots",
            "reorder_point",
            "reorder_qty",
            "fee",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_sku(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate_barcode(self, value):
        return (value or "").strip() or None  # "" means no barcode


class UnitConversionSerializer(TenantModelSerializer):
    variant_id = TenantPrimaryKeyRelatedField(Variant, source="variant")
    factor = DecimalField(
        max_digits=14,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        help_text="1 `unit` = `factor` stock units of the variant.",
    )

    class Meta:
        model = UnitConversion
        fields = ["id", "variant_id", "unit", "factor", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_unit(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value
