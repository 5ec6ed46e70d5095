from django.urls import re_path

from .views import MeView, TokenView

urlpatterns = [
    re_path(r"^token/?$", TokenView.as_view(), name="auth-token"),
    re_path(r"^me/?$", MeView.as_view(), name="auth-me"),
]
