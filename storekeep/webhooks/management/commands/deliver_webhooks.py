"""``manage.py deliver_webhooks``: send what is pending, in this process (SPEC §8).

Without a broker (the embedded default) this is how webhooks go out: run it from cron (every
minute) or by hand. With Celery it is a manual push of whatever is due. Each pass fans out the
pending outbox events, then makes one attempt of every due delivery; failed ones wait for their
backoff. ``--loop`` keeps passing every ``--interval`` seconds.
"""

import time

from django.core.management.base import BaseCommand

from storekeep.webhooks import services


class Command(BaseCommand):
    help = "Deliver pending webhook events (fan out the outbox, one attempt per due delivery)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep delivering until stopped")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")

    def handle(self, *args, loop=False, interval=5.0, **options):
        while True:
            dispatched, sent, waiting = self.one_pass()
            self.stdout.write(
                f"deliver_webhooks: {dispatched} events fanned out, {sent} delivered, "
                f"{waiting} waiting to retry"
            )
            if not loop:
                return
            time.sleep(interval)

    def one_pass(self) -> tuple[int, int, int]:
        dispatched = 0
        while ids := services.pending_event_ids():
            services.dispatch_events(ids)
            dispatched += len(ids)
        sent = waiting = 0
        for delivery_id in services.due_delivery_ids(limit=100_000):
            retry_in = services.deliver(delivery_id)
            waiting += retry_in is not None
            sent += retry_in is None
        return dispatched, sent, waiting
