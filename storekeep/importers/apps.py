from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "storekeep.importers"
    label = "importers"
