from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "storekeep.inventory"
    label = "inventory"
