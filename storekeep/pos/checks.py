"""The ledger totals the point-of-sale documents imply (``inventory_check --by-ref-type``).

Registered on :data:`storekeep.inventory.document_checks.document_totals` by
:class:`storekeep.pos.apps.PosConfig`.
"""

from __future__ import annotations

from storekeep.inventory.document_checks import stock_moved_by_lines

from .models import Return, ReturnLine, Sale, SaleLine


def pos_document_totals(*, tenant, totals: dict) -> None:
    """SALE and RECIPE_CONSUMPTION (every sale, voided or not, sold once), VOID (the lines of
    voided sales), RETURN (RESTOCK lines of finalized returns; DISCARD lines write nothing)."""
    lines = SaleLine.objects.all() if tenant is None else SaleLine.objects.filter(tenant=tenant)
    plain, recipe = stock_moved_by_lines(lines, tenant)
    totals["SALE"] -= plain
    totals["RECIPE_CONSUMPTION"] -= recipe
    plain, recipe = stock_moved_by_lines(lines.filter(sale__status=Sale.Status.VOIDED), tenant)
    totals["VOID"] += plain + recipe
    returned = ReturnLine.objects.filter(
        ret__status=Return.Status.FINALIZED, disposition=ReturnLine.Disposition.RESTOCK
    )
    if tenant is not None:
        returned = returned.filter(tenant=tenant)
    plain, recipe = stock_moved_by_lines(returned, tenant)
    totals["RETURN"] += plain + recipe
