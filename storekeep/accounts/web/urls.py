"""Back-office staff pages (SPEC §11)."""

from django.urls import path

from . import views

urlpatterns = [
    path("staff/", views.StaffListView.as_view(), name="staff"),
    path("staff/<int:pk>/", views.StaffMemberView.as_view(), name="staff-member"),
]
