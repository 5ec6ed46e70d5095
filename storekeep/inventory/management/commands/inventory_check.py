"""Recompute on hand from the ledger for every item; exit non-zero on any mismatch (SPEC §3.2)."""

from django.core.management.base import BaseCommand, CommandError

from storekeep.inventory.document_checks import expected_ledger_totals
from storekeep.inventory.selectors import ledger_parity_mismatches, running_balance_breaks
from storekeep.inventory.services.lots import lot_differences
from storekeep.tenants.models import Tenant


class Command(BaseCommand):
    help = "Check ledger parity (on hand = Σ ledger), running balances and Σ lots = on hand."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug (default: all tenants)")
        parser.add_argument(
            "--by-ref-type",
            action="store_true",
            help="print ledger totals per ref type and compare each with the documents behind it "
            "(sales, voids, returns, transfers, purchase orders, counts, reservations)",
        )
        parser.add_argument(
            "--skip-balances", action="store_true", help="skip the running balance_after walk"
        )

    def handle(self, *args, tenant=None, by_ref_type=False, skip_balances=False, **options):
        tenant_obj = None
        if tenant:
            tenant_obj = Tenant.objects.filter(slug=tenant).first()
            if tenant_obj is None:
                raise CommandError(f"unknown tenant {tenant!r}")
        mismatches, by_type = ledger_parity_mismatches(tenant=tenant_obj, by_ref_type=by_ref_type)
        breaks = [] if skip_balances else running_balance_breaks(tenant=tenant_obj)
        lots = lot_differences(tenant=tenant_obj)
        documents = expected_ledger_totals(tenant=tenant_obj) if by_ref_type else {}
        differences = []
        for ref_type in sorted(set(by_type) | set(documents)):
            totals = by_type.get(ref_type, {"rows": 0, "qty": 0})
            line = f"{ref_type:<24} rows={totals['rows']:>9} qty={totals['qty']}"
            if ref_type not in documents:
                self.stdout.write(f"{line} (no documents)")
                continue
            expected = documents[ref_type]
            if expected != (totals["qty"] or 0):
                differences.append(ref_type)
                self.stdout.write(f"REF_TYPE_MISMATCH {line} documents={expected}")
            else:
                self.stdout.write(f"{line} documents={expected} ok")
        for m in mismatches:
            self.stdout.write(
                f"MISMATCH tenant={m['tenant_id']} location={m['location_id']} "
                f"variant={m['variant_id']} on_hand={m['on_hand']} ledger={m['ledger_total']}"
            )
        for b in breaks:
            self.stdout.write(
                f"BALANCE ledger_id={b['ledger_id']} expected={b['expected']} "
                f"balance_after={b['balance_after']}"
            )
        for d in lots:
            self.stdout.write(
                f"LOTS tenant={d['tenant_id']} location={d['location_id']} variant={d['variant_id']} "
                f"on_hand={d['on_hand']} lots={d['lots_total']}"
            )
        problems = len(mismatches) + len(breaks) + len(lots) + len(differences)
        if problems:
            raise CommandError(
                f"inventory_check: {len(mismatches)} parity mismatches, {len(breaks)} balance breaks, "
                f"{len(lots)} lot differences, {len(differences)} ref types differing from their "
                "documents"
            )
        self.stdout.write(
            self.style.SUCCESS("inventory_check: OK — ledger parity holds for every item")
        )
