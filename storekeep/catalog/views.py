"""Catalog CRUD: ``/api/v1/categories``, ``tax-categories``, ``products``, ``variants``,
``unit-conversions`` (SPEC §2, §10).

Reads VIEWER+, writes MANAGER+. References in bodies (``product_id``,
``category_id``…) must be the tenant's (else 400 ``validation_error`` "does
not exist"); a duplicate SKU/barcode/name is 409 ``duplicate``; deleting a row
others refer to is 409 ``conflict``.
"""

from storekeep.core.serializers import crud_schema, destroy_or_conflict
from storekeep.core.views import TenantModelViewSet

from .filters import CategoryFilter, ProductFilter, UnitConversionFilter, VariantFilter
from .models import Category, Product, TaxCategory, UnitConversion, Variant
from .serializers import (
    CategorySerializer,
    ProductSerializer,
    TaxCategorySerializer,
    UnitConversionSerializer,
    VariantSerializer,
)
from .services import variant_update


class CatalogViewSet(TenantModelViewSet):
    """Tenant CRUD whose delete answers 409 ``conflict`` when the row is still referenced."""

    ordering = ["id"]
    lookup_value_regex = "[^/]+"  # any id reaches the view, which answers 404 in the error shape

    def perform_destroy(self, instance):
        destroy_or_conflict(instance)


@crud_schema(CategorySerializer, "category", plural="categories")
class CategoryViewSet(CatalogViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["name", "id"]


@crud_schema(TaxCategorySerializer, "tax category", plural="tax categories")
class TaxCategoryViewSet(CatalogViewSet):
    queryset = TaxCategory.objects.all()
    serializer_class = TaxCategorySerializer
    search_fields = ["name"]
    ordering_fields = ["id", "name", "rate"]
    ordering = ["name", "id"]


@crud_schema(ProductSerializer, "product")
class ProductViewSet(CatalogViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "=variants__sku", "=variants__barcode"]
    ordering_fields = ["id", "name", "created_at"]
    ordering = ["name", "id"]


@crud_schema(VariantSerializer, "variant")
class VariantViewSet(CatalogViewSet):
    queryset = Variant.objects.select_related("product")
    serializer_class = VariantSerializer
    filterset_class = VariantFilter
    search_fields = ["name", "sku", "=barcode", "product__name"]
    ordering_fields = ["id", "sku", "name", "price", "created_at"]
    ordering = ["sku", "id"]

    def perform_update(self, serializer):
        variant_update(
            tenant=self.tenant, variant=serializer.instance, changes=serializer.validated_data
        )


@crud_schema(UnitConversionSerializer, "unit conversion")
class UnitConversionViewSet(CatalogViewSet):
    queryset = UnitConversion.objects.all()
    serializer_class = UnitConversionSerializer
    filterset_class = UnitConversionFilter
    ordering_fields = ["id", "unit"]
