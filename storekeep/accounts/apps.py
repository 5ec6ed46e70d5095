from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "storekeep.accounts"
    label = "accounts"
