"""``/api/v1/pos/`` (SPEC §5)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from storekeep.pos.api import views

router = SimpleRouter(trailing_slash=False)
router.register("registers", views.RegisterViewSet, basename="pos-register")

urlpatterns = [
    path(
        "registers/<int:pk>/sessions",
        views.RegisterSessionOpenApi.as_view(),
        name="pos-session-open",
    ),
    path("sessions/<int:pk>", views.RegisterSessionDetailApi.as_view(), name="pos-session-detail"),
    path(
        "sessions/<int:pk>/close", views.RegisterSessionCloseApi.as_view(), name="pos-session-close"
    ),
    path("quote", views.QuoteApi.as_view(), name="pos-quote"),
    path("checkout", views.CheckoutApi.as_view(), name="pos-checkout"),
    path("sales", views.SaleListApi.as_view(), name="pos-sale-list"),
    path("sales/<int:pk>", views.SaleDetailApi.as_view(), name="pos-sale-detail"),
    path("sales/<int:pk>/void", views.SaleVoidApi.as_view(), name="pos-sale-void"),
    path("returns", views.ReturnListCreateApi.as_view(), name="pos-return-list"),
    path("returns/<int:pk>", views.ReturnDetailApi.as_view(), name="pos-return-detail"),
    path(
        "returns/<int:pk>/finalize", views.ReturnFinalizeApi.as_view(), name="pos-return-finalize"
    ),
    *router.urls,
]
