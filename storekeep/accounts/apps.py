from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "storekeep.accounts"
    label = "accounts"

    def ready(self):
        from . import schema, signals  # noqa: F401  (OpenAPI security schemes; token revocation)
