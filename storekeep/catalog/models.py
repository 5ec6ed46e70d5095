"""Catalog: categories, tax categories, products, variants, units and recipes (SPEC §2).

Unit prices and unit costs carry 4 decimal places (wholesale data has prices
such as 0.001); amounts (line values, totals) are rounded to the currency's
minor unit. Quantities are ``Decimal(14,3)`` in the variant's stock unit.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from storekeep.core.models import TenantScopedModel

QTY = {"max_digits": 14, "decimal_places": 3}
UNIT_MONEY = {"max_digits": 14, "decimal_places": 4}
MONEY = {"max_digits": 12, "decimal_places": 2}


class Category(TenantScopedModel):
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        db_index=False,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="category_tenant_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class TaxCategory(TenantScopedModel):
    """A tax rate in percent (``20`` = 20 %)."""

    name = models.CharField(max_length=100)
    rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "tax categories"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="taxcategory_tenant_name_uniq"),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxcategory_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate}%)"


class Product(TenantScopedModel):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        db_index=False,
    )
    tax_category = models.ForeignKey(
        TaxCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        db_index=False,
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["tenant", "name"], name="product_tenant_name_idx")]

    def __str__(self) -> str:
        return self.name


class Variant(TenantScopedModel):
    class Unit(models.TextChoices):
        PIECE = "piece"
        KG = "kg"
        G = "g"
        L = "L"
        ML = "mL"
        PORTION = "portion"
        M = "m"

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="variants", db_index=False
    )
    sku = models.CharField(max_length=64)
    barcode = models.CharField(max_length=64, null=True, blank=True)
    name = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(**UNIT_MONEY, default=Decimal("0"))
    cost = models.DecimalField(**UNIT_MONEY, default=Decimal("0"))
    unit = models.CharField(max_length=16, choices=Unit.choices, default=Unit.PIECE)
    track_inventory = models.BooleanField(default=True)
    track_lots = models.BooleanField(default=False)
    reorder_point = models.DecimalField(**QTY, null=True, blank=True)
    reorder_qty = models.DecimalField(**QTY, null=True, blank=True)
    fee = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="per unit, not discounted, not taxed"
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku"], name="variant_tenant_sku_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "barcode"],
                condition=Q(barcode__isnull=False),
                name="variant_tenant_barcode_uniq",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_nonneg"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="variant_cost_nonneg"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="variant_fee_nonneg"),
        ]
        indexes = [models.Index(fields=["tenant", "product"], name="variant_tenant_product_idx")]

    def __str__(self) -> str:
        return f"{self.sku} {self.display_name}"

    @property
    def display_name(self) -> str:
        return f"{self.product.name} — {self.name}" if self.name else self.product.name


class UnitConversion(TenantScopedModel):
    """``1 unit = factor`` stock units of the variant (a case of 12 → factor 12)."""

    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="unit_conversions", db_index=False
    )
    unit = models.CharField(max_length=16)
    factor = models.DecimalField(max_digits=14, decimal_places=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "variant", "unit"], name="unitconv_tenant_variant_unit_uniq"
            ),
            models.CheckConstraint(condition=Q(factor__gt=0), name="unitconv_factor_pos"),
        ]

    def __str__(self) -> str:
        return f"1 {self.unit} = {self.factor} × {self.variant_id}"


class RecipeComponent(TenantScopedModel):
    """Selling 1 ``parent`` deducts ``qty`` of ``component`` (kits, restaurant recipes)."""

    parent = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="recipe_components", db_index=False
    )
    component = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="used_in_recipes", db_index=False
    )
    qty = models.DecimalField(**QTY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "parent", "component"], name="recipe_tenant_parent_comp_uniq"
            ),
            models.CheckConstraint(condition=Q(qty__gt=0), name="recipe_qty_pos"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("component")), name="recipe_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} ← {self.qty} × {self.component_id}"


def display_name_expression(prefix: str = "") -> models.Expression:
    """:attr:`Variant.display_name` computed in SQL; ``prefix`` is the path to the variant
    (e.g. ``"variant__"``), for ``values()`` rows without model instances."""
    from django.db.models import Case, F, Value, When
    from django.db.models.functions import Concat

    product_name = F(f"{prefix}product__name")
    return Case(
        When(**{f"{prefix}name": ""}, then=product_name),
        default=Concat(product_name, Value(" — "), F(f"{prefix}name")),
        output_field=models.CharField(),
    )
