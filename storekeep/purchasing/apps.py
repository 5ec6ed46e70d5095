from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "storekeep.purchasing"
    label = "purchasing"

    def ready(self):
        from storekeep.inventory.document_checks import document_totals

        from .checks import purchasing_document_totals

        document_totals.register(purchasing_document_totals)
