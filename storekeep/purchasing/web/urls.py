"""Back-office pages of purchasing (SPEC §11)."""

from django.urls import path

from . import reorder, views

urlpatterns = [
    path("purchasing/", views.OrderListView.as_view(), name="purchasing"),
    path("purchasing/orders/new/", views.OrderCreateView.as_view(), name="purchase-order-new"),
    path("purchasing/orders/<int:pk>/", views.OrderDetailView.as_view(), name="purchase-order"),
    path("purchasing/vendors/", views.VendorListView.as_view(), name="vendors"),
    path("reorder/", reorder.ReorderListView.as_view(), name="reorder"),
    path("reorder/export.csv", reorder.ReorderExportView.as_view(), name="reorder-export"),
]
