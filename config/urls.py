from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from storekeep.accounts.urls import staff_urlpatterns as staff_urls
from storekeep.purchasing.urls import inventory_urlpatterns as inventory_purchasing_urls
from storekeep.reports.urls import inventory_urlpatterns as inventory_report_urls

urlpatterns = [
    path("", include("storekeep.web.urls")),
    path("till/", include("storekeep.pos.web.till_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/auth/", include("storekeep.accounts.urls")),
    path("api/v1/", include("storekeep.tenants.urls")),
    path("api/v1/", include(staff_urls)),
    path("api/v1/", include("storekeep.locations.urls")),
    path("api/v1/", include("storekeep.catalog.urls")),
    path("api/v1/inventory/", include("storekeep.inventory.urls")),
    path("api/v1/inventory/", include(inventory_report_urls)),
    path("api/v1/inventory/", include(inventory_purchasing_urls)),
    path("api/v1/purchasing/", include("storekeep.purchasing.urls")),
    path("api/v1/pos/", include("storekeep.pos.urls")),
    path("api/v1/reports/", include("storekeep.reports.urls")),
    path("api/v1/", include("storekeep.webhooks.urls")),
    # The back office (SPEC §11)
    path("", include("storekeep.inventory.web.urls")),
    path("", include("storekeep.purchasing.web.urls")),
    path("", include("storekeep.pos.web.urls")),
    path("", include("storekeep.reports.web.urls")),
    path("", include("storekeep.accounts.web.urls")),
]


def api_aware_404(request, exception=None):
    """Unknown URLs under /api/ answer the JSON error shape (SPEC §10); elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "code": "not_found",
                "message": "No such endpoint.",
                "details": {"path": request.path},
            },
            status=404,
        )
    return defaults.page_not_found(request, exception)


handler404 = api_aware_404
handler500 = "storekeep.core.middleware.server_error"
