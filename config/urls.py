from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/auth/", include("storekeep.accounts.urls")),
    path("api/v1/", include("storekeep.tenants.urls")),
    path("api/v1/", include("storekeep.locations.urls")),
    path("api/v1/", include("storekeep.catalog.urls")),
    path("api/v1/inventory/", include("storekeep.inventory.urls")),
    path("api/v1/purchasing/", include("storekeep.purchasing.urls")),
    path("api/v1/pos/", include("storekeep.pos.urls")),
    path("api/v1/reports/", include("storekeep.reports.urls")),
]
