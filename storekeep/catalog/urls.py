from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.trailing_slash = "/?"  # accept both /variants and /variants/
router.register("categories", views.CategoryViewSet, basename="category")
router.register("tax-categories", views.TaxCategoryViewSet, basename="tax-category")
router.register("products", views.ProductViewSet, basename="product")
router.register("variants", views.VariantViewSet, basename="variant")
router.register("unit-conversions", views.UnitConversionViewSet, basename="unit-conversion")

urlpatterns = router.urls
