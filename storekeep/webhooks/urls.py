"""``/api/v1/webhooks/…`` routes."""

from django.urls import re_path

from .api import (
    DeliveryListApi,
    DeliveryRedeliverApi,
    EndpointDetailApi,
    EndpointListCreateApi,
    EndpointRotateSecretApi,
)

urlpatterns = [
    re_path(r"^webhooks/?$", EndpointListCreateApi.as_view(), name="webhooks"),
    re_path(
        r"^webhooks/(?P<pk>[^/]+?)/rotate-secret/?$",
        EndpointRotateSecretApi.as_view(),
        name="webhooks-rotate-secret",
    ),
    re_path(
        r"^webhooks/(?P<pk>[^/]+?)/deliveries/(?P<delivery_id>[^/]+?)/redeliver/?$",
        DeliveryRedeliverApi.as_view(),
        name="webhooks-redeliver",
    ),
    re_path(
        r"^webhooks/(?P<pk>[^/]+?)/deliveries/?$",
        DeliveryListApi.as_view(),
        name="webhooks-deliveries",
    ),
    re_path(r"^webhooks/(?P<pk>[^/]+?)/?$", EndpointDetailApi.as_view(), name="webhooks-detail"),
]
