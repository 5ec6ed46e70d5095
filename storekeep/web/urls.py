from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.sign_in, name="sign-in"),
    path("choose-shop/", views.choose_tenant, name="choose-tenant"),
    path("sign-out/", views.sign_out, name="sign-out"),
]
