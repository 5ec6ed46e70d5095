from django.apps import AppConfig


class PosConfig(AppConfig):
    name = "storekeep.pos"
    label = "pos"
