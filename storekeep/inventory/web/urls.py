"""Back-office pages of stock, transfers, counts and reorder (SPEC §11)."""

from django.urls import path

from . import counts, stock, transfers

urlpatterns = [
    path("stock/", stock.StockListView.as_view(), name="stock"),
    path("stock/export.csv", stock.StockExportView.as_view(), name="stock-export"),
    path("stock/receive/", stock.ReceiveView.as_view(), name="stock-receive"),
    path("stock/<int:pk>/", stock.StockItemView.as_view(), name="stock-item"),
    path(
        "stock/<int:pk>/ledger.csv",
        stock.LedgerExportView.as_view(),
        name="stock-ledger-export",
    ),
    path(
        "stock/<int:variant_id>/adjust/<int:location_id>/",
        stock.AdjustView.as_view(),
        name="stock-adjust",
    ),
    path("transfers/", transfers.TransferListView.as_view(), name="transfers"),
    path("transfers/new/", transfers.TransferCreateView.as_view(), name="transfer-new"),
    path("transfers/<int:pk>/", transfers.TransferDetailView.as_view(), name="transfer"),
    path("counts/", counts.CountListView.as_view(), name="counts"),
    path("counts/<int:pk>/", counts.CountDetailView.as_view(), name="count"),
]
