from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "storekeep.core"
    label = "core"
