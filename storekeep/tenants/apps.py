from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "storekeep.tenants"
    label = "tenants"
