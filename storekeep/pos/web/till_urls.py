"""``/till/``: the till in the browser (SPEC §11). Route names start with ``till``."""

from django.urls import path

from . import till as views

urlpatterns = [
    path("", views.till, name="till"),
    path("open/", views.till_open, name="till-open"),
    path("cart/scan/", views.cart_scan, name="till-scan"),
    path("cart/add/", views.cart_add, name="till-add"),
    path("cart/lines/<int:line_id>/", views.cart_line, name="till-line"),
    path("cart/discount/", views.cart_discount, name="till-discount"),
    path("cart/clear/", views.cart_clear, name="till-clear"),
    path("search/", views.product_search, name="till-search"),
    path("pay/", views.pay, name="till-pay"),
    path("sales/", views.sales, name="till-sales"),
    path("sales/find/", views.sale_find, name="till-sale-find"),
    path("sales/<int:sale_id>/", views.sale_detail, name="till-sale"),
    path("sales/<int:sale_id>/void/", views.sale_void, name="till-sale-void"),
    path("sales/<int:sale_id>/return/", views.sale_return, name="till-sale-return"),
    path("returns/", views.returns, name="till-returns"),
    path("returns/<int:return_id>/", views.return_detail, name="till-return"),
    path("cash/", views.cash_movements, name="till-cash"),
    path("close/", views.close, name="till-close"),
    path("sessions/<int:session_id>/", views.z_report, name="till-z-report"),
]
