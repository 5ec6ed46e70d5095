from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "storekeep.purchasing"
    label = "purchasing"
