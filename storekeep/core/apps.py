from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "storekeep.core"
    label = "core"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers ``__any_of``)
