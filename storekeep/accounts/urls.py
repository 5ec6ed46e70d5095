from django.urls import re_path

from .staff_views import StaffDetailApi, StaffHistoryApi, StaffListCreateApi, StaffPasswordApi
from .views import MeView, TokenView

urlpatterns = [
    re_path(r"^token/?$", TokenView.as_view(), name="auth-token"),
    re_path(r"^me/?$", MeView.as_view(), name="auth-me"),
]

#: Mounted at ``/api/v1/`` (issue 12 item 1).
staff_urlpatterns = [
    re_path(r"^staff/?$", StaffListCreateApi.as_view(), name="staff-list"),
    re_path(r"^staff/(?P<pk>[^/]+)/?$", StaffDetailApi.as_view(), name="staff-detail"),
    re_path(r"^staff/(?P<pk>[^/]+)/password/?$", StaffPasswordApi.as_view(), name="staff-password"),
    re_path(r"^staff/(?P<pk>[^/]+)/history/?$", StaffHistoryApi.as_view(), name="staff-history"),
]
