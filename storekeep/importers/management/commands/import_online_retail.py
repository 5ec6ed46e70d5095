"""``manage.py import_online_retail [PATH] [--tenant SLUG] [--limit-rows N] [--until DATE]
[--opening-stock auto|none] [--replenish weekly [--lead-days N]]`` (SPEC §13;
``--replenish``: see ``online_retail/replenish.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from storekeep.importers.online_retail.replay import (
    DEFAULT_TENANT_SLUG,
    default_path,
    import_online_retail,
)

#: How many invalid rows are printed one by one (all are counted in the summary).
SHOW_INVALID = 20


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--until expects a date YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Import the UCI Online Retail file (a real retailer's year) into a tenant: build the "
        "catalog, receive the opening stock, and replay every invoice in time order through the "
        "till's checkout, return and stock-adjustment services. Restartable."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="CSV file, gzip or plain (default: ../shared/data/online_retail.csv.gz, else the "
            "slice committed in storekeep/importers/data/)",
        )
        parser.add_argument(
            "--tenant", default=DEFAULT_TENANT_SLUG, help="tenant slug (created if missing)"
        )
        parser.add_argument(
            "--limit-rows", type=int, default=None, help="read only the first N data rows"
        )
        parser.add_argument(
            "--until", type=_date, default=None, help="only rows dated on or before DATE"
        )
        parser.add_argument(
            "--opening-stock",
            choices=("auto", "none"),
            default="auto",
            help="auto: receive the stock that keeps every product from running short (default); "
            "none: receive nothing, invoices that would run short are skipped",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        # Weekly replenishment instead of an opening stock.
        parser.add_argument(
            "--replenish",
            choices=("weekly",),
            default=None,
            help="weekly: no opening stock; each week draft, submit and (after --lead-days) receive "
            "purchase orders from the reorder suggestions; the summary adds stock-outs and fill rate",
        )
        parser.add_argument(
            "--lead-days", type=int, default=3, help="with --replenish: days from order to receipt"
        )

    def handle(self, *args, **options):
        path = Path(options["path"]) if options["path"] else default_path()
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        if options["limit_rows"] is not None and options["limit_rows"] < 0:
            raise CommandError("--limit-rows must be zero or positive")
        if options["replenish"]:
            from storekeep.importers.online_retail.replenish import import_with_replenishment

            try:
                summary = import_with_replenishment(
                    tenant=options["tenant"],
                    path=path,
                    limit_rows=options["limit_rows"],
                    until=options["until"],
                    lead_days=options["lead_days"],
                    progress=not options["no_progress"],
                    log=lambda message: self.stderr.write(message),
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(summary.line())
            return
        try:
            summary = import_online_retail(
                tenant=options["tenant"],
                path=path,
                limit_rows=options["limit_rows"],
                until=options["until"],
                opening_stock=options["opening_stock"],
                progress=not options["no_progress"],
                log=lambda message: self.stderr.write(message),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for invalid in summary.invalid_rows[:SHOW_INVALID]:
            self.stderr.write(f"invalid {invalid}")
        hidden = summary.skipped.get("invalid", 0) - min(len(summary.invalid_rows), SHOW_INVALID)
        if hidden > 0:
            self.stderr.write(f"… and {hidden} more invalid rows")
        self.stdout.write(summary.line())
