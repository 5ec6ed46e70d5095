from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "storekeep.reports"
    label = "reports"
