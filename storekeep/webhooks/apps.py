from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "storekeep.webhooks"
    label = "webhooks"

    def ready(self):
        from storekeep.core.outbox import events_written

        from .services import queue_after_commit

        events_written.register(queue_after_commit)
