"""``/api/v1/purchasing/…``: vendors, vendor-variant links and purchase orders (SPEC §6)."""

from django.urls import re_path

from .api import (
    OrderCancelApi,
    OrderDetailApi,
    OrderListCreateApi,
    OrderReceiveApi,
    OrdersFromSuggestionsApi,
    OrderSubmitApi,
    ReorderSuggestionListApi,
    VendorVariantViewSet,
    VendorViewSet,
)

LIST = {"get": "list", "post": "create"}
DETAIL = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}

urlpatterns = [
    re_path(r"^orders/?$", OrderListCreateApi.as_view(), name="purchasing-orders"),
    re_path(
        r"^orders/from_suggestions/?$",
        OrdersFromSuggestionsApi.as_view(),
        name="purchasing-orders-from-suggestions",
    ),
    re_path(
        r"^orders/(?P<pk>[^/]+?)/submit/?$",
        OrderSubmitApi.as_view(),
        name="purchasing-orders-submit",
    ),
    re_path(
        r"^orders/(?P<pk>[^/]+?)/receive/?$",
        OrderReceiveApi.as_view(),
        name="purchasing-orders-receive",
    ),
    re_path(
        r"^orders/(?P<pk>[^/]+?)/cancel/?$",
        OrderCancelApi.as_view(),
        name="purchasing-orders-cancel",
    ),
    re_path(
        r"^orders/(?P<pk>[^/]+?)/?$", OrderDetailApi.as_view(), name="purchasing-orders-detail"
    ),
    re_path(r"^vendors/?$", VendorViewSet.as_view(LIST), name="purchasing-vendors"),
    re_path(
        r"^vendors/(?P<pk>[^/]+?)/?$",
        VendorViewSet.as_view(DETAIL),
        name="purchasing-vendors-detail",
    ),
    re_path(
        r"^vendor_variants/?$",
        VendorVariantViewSet.as_view(LIST),
        name="purchasing-vendor-variants",
    ),
    re_path(
        r"^vendor_variants/(?P<pk>[^/]+?)/?$",
        VendorVariantViewSet.as_view(DETAIL),
        name="purchasing-vendor-variants-detail",
    ),
]

#: Mounted under ``/api/v1/inventory/`` by ``config/urls.py`` (suggestions read vendors and orders).
inventory_urlpatterns = [
    re_path(
        r"^reorder_suggestions/?$",
        ReorderSuggestionListApi.as_view(),
        name="inventory-reorder-suggestions",
    ),
]
