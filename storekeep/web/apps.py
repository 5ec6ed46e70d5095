from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "storekeep.web"
    label = "web"
    verbose_name = "Web UI shell"
