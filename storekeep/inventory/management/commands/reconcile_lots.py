"""Report (and with --fix repair through the ledger) Σ lots ≠ on hand (SPEC §7)."""

from django.core.management.base import BaseCommand, CommandError

from storekeep.core.errors import DomainError
from storekeep.inventory.services.lots import lot_differences, repair_lot_difference
from storekeep.tenants.models import Tenant


class Command(BaseCommand):
    help = "Report items whose lots do not sum to on hand; --fix writes correction ledger rows."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug (default: all)")
        parser.add_argument("--fix", action="store_true")

    def handle(self, *args, tenant=None, fix=False, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first() if tenant else None
        if tenant and tenant_obj is None:
            raise CommandError(f"unknown tenant {tenant!r}")
        differences = lot_differences(tenant=tenant_obj)
        failed = 0
        for d in differences:
            self.stdout.write(
                f"tenant={d['tenant_id']} location={d['location_id']} variant={d['variant_id']} "
                f"on_hand={d['on_hand']} lots={d['lots_total']}"
            )
            if fix:
                try:
                    rows = repair_lot_difference(d)
                except DomainError as exc:
                    failed += 1
                    self.stdout.write(f"  not repaired: {exc.code}: {exc.message} {exc.details}")
                else:
                    self.stdout.write(f"  repaired with {len(rows)} ledger row(s)")
        if differences and not fix:
            raise CommandError(
                f"reconcile_lots: {len(differences)} differences (run with --fix to repair)"
            )
        if failed:
            raise CommandError(
                f"reconcile_lots: {failed} of {len(differences)} differences could not be repaired"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"reconcile_lots: {len(differences)} differences{' repaired' if fix else ''}"
            )
        )
