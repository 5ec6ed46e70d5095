from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "storekeep.catalog"
    label = "catalog"
