"""``/api/v1/pos/`` (SPEC §5)."""

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from storekeep.pos.api import views


class IdConverter:
    """A primary key: at most 18 digits, so it always fits a BIGINT (longer → 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "pk")


class IdRouter(SimpleRouter):
    """Router whose detail routes only match ``pk`` ids."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        return f"(?P<{lookup_prefix}pk>[0-9]{{1,18}})"


router = IdRouter(trailing_slash=False)
router.register("registers", views.RegisterViewSet, basename="pos-register")

urlpatterns = [
    path(
        "registers/<pk:pk>/sessions",
        views.RegisterSessionOpenApi.as_view(),
        name="pos-session-open",
    ),
    path("sessions/<pk:pk>", views.RegisterSessionDetailApi.as_view(), name="pos-session-detail"),
    path(
        "sessions/<pk:pk>/close", views.RegisterSessionCloseApi.as_view(), name="pos-session-close"
    ),
    path(
        "sessions/<pk:pk>/cash-movements",
        views.CashMovementListCreateApi.as_view(),
        name="pos-session-cash-movements",
    ),
    path("approvals", views.ApprovalIssueApi.as_view(), name="pos-approvals"),
    path("quote", views.QuoteApi.as_view(), name="pos-quote"),
    path("checkout", views.CheckoutApi.as_view(), name="pos-checkout"),
    path("sales", views.SaleListApi.as_view(), name="pos-sale-list"),
    path("sales/<pk:pk>", views.SaleDetailApi.as_view(), name="pos-sale-detail"),
    path("sales/<pk:pk>/void", views.SaleVoidApi.as_view(), name="pos-sale-void"),
    path("returns", views.ReturnListCreateApi.as_view(), name="pos-return-list"),
    path("returns/<pk:pk>", views.ReturnDetailApi.as_view(), name="pos-return-detail"),
    path("returns/<pk:pk>/finalize", views.ReturnFinalizeApi.as_view(), name="pos-return-finalize"),
    *router.urls,
]
