from django.apps import AppConfig


class PosConfig(AppConfig):
    name = "storekeep.pos"
    label = "pos"

    def ready(self):
        from storekeep.inventory.document_checks import document_totals

        from .checks import pos_document_totals

        document_totals.register(pos_document_totals)
