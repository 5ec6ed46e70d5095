"""Back-office sales pages (SPEC §11)."""

from django.urls import path

from . import views

urlpatterns = [
    path("sales/", views.SaleListView.as_view(), name="sales"),
    path("sales/export.csv", views.SaleExportView.as_view(), name="sales-export"),
    path("sales/<int:pk>/", views.SaleDetailView.as_view(), name="sale"),
    path("sales/returns/<int:pk>/", views.ReturnRedirectView.as_view(), name="sale-return"),
]
