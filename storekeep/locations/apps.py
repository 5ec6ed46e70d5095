from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "storekeep.locations"
    label = "locations"
