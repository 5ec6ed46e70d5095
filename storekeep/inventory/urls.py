"""``/api/v1/inventory/…`` routes: one route per endpoint."""

from django.urls import re_path

from .api.counts import (
    CountCancelApi,
    CountDetailApi,
    CountFinalizeApi,
    CountListCreateApi,
    CountScanApi,
    CountVarianceApi,
)
from .api.ledger import LedgerDetailView, LedgerListView
from .api.movements import AdjustmentView, ReceiptView, WriteOffView
from .api.overview import StockSummaryApi
from .api.reorder import (
    LowStockAlertAcknowledgeApi,
    LowStockAlertListApi,
)
from .api.reservations import (
    ReservationConfirmApi,
    ReservationDetailApi,
    ReservationListCreateApi,
    ReservationReleaseApi,
)
from .api.stock import StockDetailView, StockListView
from .api.transfers import (
    TransferCancelApi,
    TransferDetailApi,
    TransferListCreateApi,
    TransferReceiveApi,
    TransferSendApi,
)

urlpatterns = [
    re_path(r"^stock/?$", StockListView.as_view(), name="inventory-stock-list"),
    re_path(r"^stock/(?P<pk>[^/]+?)/?$", StockDetailView.as_view(), name="inventory-stock-detail"),
    re_path(r"^receipts/?$", ReceiptView.as_view(), name="inventory-receipts"),
    re_path(r"^adjustments/?$", AdjustmentView.as_view(), name="inventory-adjustments"),
    re_path(r"^write-offs/?$", WriteOffView.as_view(), name="inventory-write-offs"),
    re_path(r"^ledger/?$", LedgerListView.as_view(), name="inventory-ledger"),
    re_path(
        r"^ledger/(?P<pk>[^/]+?)/?$", LedgerDetailView.as_view(), name="inventory-ledger-detail"
    ),
    re_path(r"^transfers/?$", TransferListCreateApi.as_view(), name="inventory-transfers"),
    re_path(
        r"^transfers/(?P<pk>[^/]+?)/send/?$",
        TransferSendApi.as_view(),
        name="inventory-transfers-send",
    ),
    re_path(
        r"^transfers/(?P<pk>[^/]+?)/receive/?$",
        TransferReceiveApi.as_view(),
        name="inventory-transfers-receive",
    ),
    re_path(
        r"^transfers/(?P<pk>[^/]+?)/cancel/?$",
        TransferCancelApi.as_view(),
        name="inventory-transfers-cancel",
    ),
    re_path(
        r"^transfers/(?P<pk>[^/]+?)/?$",
        TransferDetailApi.as_view(),
        name="inventory-transfers-detail",
    ),
    re_path(r"^counts/?$", CountListCreateApi.as_view(), name="inventory-counts"),
    re_path(
        r"^counts/(?P<pk>[^/]+?)/lines/?$", CountScanApi.as_view(), name="inventory-counts-lines"
    ),
    re_path(
        r"^counts/(?P<pk>[^/]+?)/variance/?$",
        CountVarianceApi.as_view(),
        name="inventory-counts-variance",
    ),
    re_path(
        r"^counts/(?P<pk>[^/]+?)/finalize/?$",
        CountFinalizeApi.as_view(),
        name="inventory-counts-finalize",
    ),
    re_path(
        r"^counts/(?P<pk>[^/]+?)/cancel/?$",
        CountCancelApi.as_view(),
        name="inventory-counts-cancel",
    ),
    re_path(r"^counts/(?P<pk>[^/]+?)/?$", CountDetailApi.as_view(), name="inventory-counts-detail"),
    re_path(
        r"^low-stock-alerts/?$", LowStockAlertListApi.as_view(), name="inventory-low-stock-alerts"
    ),
    re_path(
        r"^low-stock-alerts/(?P<pk>[^/]+?)/acknowledge/?$",
        LowStockAlertAcknowledgeApi.as_view(),
        name="inventory-low-stock-alerts-acknowledge",
    ),
    re_path(r"^reservations/?$", ReservationListCreateApi.as_view(), name="inventory-reservations"),
    re_path(
        r"^reservations/(?P<pk>[^/]+?)/confirm/?$",
        ReservationConfirmApi.as_view(),
        name="inventory-reservations-confirm",
    ),
    re_path(
        r"^reservations/(?P<pk>[^/]+?)/release/?$",
        ReservationReleaseApi.as_view(),
        name="inventory-reservations-release",
    ),
    re_path(
        r"^reservations/(?P<pk>[^/]+?)/?$",
        ReservationDetailApi.as_view(),
        name="inventory-reservations-detail",
    ),
    re_path(r"^stock_summary/?$", StockSummaryApi.as_view(), name="inventory-stock-summary"),
]
