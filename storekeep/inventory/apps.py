from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "storekeep.inventory"
    label = "inventory"

    def ready(self):
        from storekeep.catalog.hooks import variant_stocking_changing
        from storekeep.tenants.services import settings_changing

        from .hooks import follow_negative_stock_setting, refuse_stocking_change_while_stocked

        settings_changing.register(follow_negative_stock_setting)
        variant_stocking_changing.register(refuse_stocking_change_while_stocked)
