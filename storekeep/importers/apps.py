from django.apps import AppConfig


class ImportersConfig(AppConfig):
    """Real-data importers (SPEC §13). No models: restartability rests on
    ``Sale.external_ref`` / ``Return.external_ref`` and ledger ``ref_id``."""

    name = "storekeep.importers"
    label = "importers"
    verbose_name = "Importers"
    default_auto_field = "django.db.models.BigAutoField"
