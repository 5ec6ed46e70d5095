"""``/api/v1/purchasing/…``: vendors, vendor-variant links and purchase orders (SPEC §6)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .api import (
    OrderCancelApi,
    OrderDetailApi,
    OrderListCreateApi,
    OrderReceiveApi,
    OrdersFromSuggestionsApi,
    OrderSubmitApi,
    VendorVariantViewSet,
    VendorViewSet,
)

router = SimpleRouter(trailing_slash="/?")
router.register("vendors", VendorViewSet, basename="purchasing-vendors")
router.register("vendor_variants", VendorVariantViewSet, basename="purchasing-vendor-variants")

urlpatterns = [
    re_path(r"^orders/?$", OrderListCreateApi.as_view(), name="purchasing-orders"),
    re_path(r"^orders/from_suggestions/?$", OrdersFromSuggestionsApi.as_view(),
            name="purchasing-orders-from-suggestions"),
    re_path(r"^orders/(?P<pk>[^/]+?)/submit/?$", OrderSubmitApi.as_view(), name="purchasing-orders-submit"),
    re_path(r"^orders/(?P<pk>[^/]+?)/receive/?$", OrderReceiveApi.as_view(), name="purchasing-orders-receive"),
    re_path(r"^orders/(?P<pk>[^/]+?)/cancel/?$", OrderCancelApi.as_view(), name="purchasing-orders-cancel"),
    re_path(r"^orders/(?P<pk>[^/]+?)/?$", OrderDetailApi.as_view(), name="purchasing-orders-detail"),
    *router.urls,
]
