from django.urls import re_path

from .views import TenantSettingsView

urlpatterns = [
    re_path(r"^tenant/?$", TenantSettingsView.as_view(), name="tenant-settings"),
]
