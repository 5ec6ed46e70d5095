"""What the ledger should hold per ref type, recomputed from the documents behind it
(``inventory_check --by-ref-type``, issue 15 item 4).

Inventory knows its own documents (transfers, counts, reservations); the sales, returns and
purchase orders belong to higher apps, which add their totals through the
:data:`document_totals` hook (registered in their ``AppConfig.ready``), so imports keep
pointing down (DEVELOPERS.md "Layers").
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from storekeep.catalog.models import RecipeComponent
from storekeep.core.hooks import Hook

from .models import CountSession, CountSessionLine, InventoryTransferLine, Reservation

QTY_STEP = Decimal("0.001")

#: Receivers get ``tenant`` (None = every tenant) and ``totals`` (``{ref_type: Decimal}``), and
#: add the ledger total their documents imply for the ref types they own.
document_totals = Hook("inventory.document_totals")


def expected_ledger_totals(*, tenant=None) -> dict[str, Decimal]:
    """``{ref_type: Σ qty_delta the documents imply}`` for every ref type with documents
    (RECEIPT, ADJUSTMENT, WASTE and EXPIRY rows have none: they are their own record)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    _inventory_documents(tenant, totals)
    document_totals(tenant=tenant, totals=totals)
    return dict(totals)


def _tenant_rows(queryset: QuerySet, tenant) -> QuerySet:
    return queryset if tenant is None else queryset.filter(tenant=tenant)


def _total(queryset: QuerySet, expression) -> Decimal:
    return queryset.aggregate(total=Sum(expression))["total"] or Decimal("0")


def _inventory_documents(tenant, totals) -> None:
    transfer_lines = _tenant_rows(InventoryTransferLine.objects.all(), tenant)
    totals["TRANSFER_OUT"] -= _total(transfer_lines, "qty_sent")
    totals["TRANSFER_IN"] += _total(transfer_lines, "qty_received")
    count_lines = _tenant_rows(
        CountSessionLine.objects.filter(session__status=CountSession.Status.FINALIZED), tenant
    )
    totals["COUNT_RECONCILE"] += _total(count_lines, F("counted_qty") - F("expected_qty"))
    confirmed = _tenant_rows(
        Reservation.objects.filter(status=Reservation.Status.CONFIRMED), tenant
    )
    totals["RESERVATION_CONFIRM"] -= _total(confirmed, "qty")


def stock_moved_by_lines(lines: QuerySet, tenant) -> tuple[Decimal, Decimal]:
    """(plain, recipe components) stock a set of document lines moves, as the engine moves it:
    a variant with recipe components moves its tracked components (qty × component qty, to
    0.001 per line), any other tracked variant moves itself; untracked variants move nothing.
    ``lines`` has ``variant_id`` and ``qty``. Uses today's recipes (SPEC §7)."""
    components = defaultdict(list)
    for comp in _tenant_rows(
        RecipeComponent.objects.filter(component__track_inventory=True), tenant
    ).values("parent_id", "qty"):
        components[comp["parent_id"]].append(comp["qty"])
    plain = _total(
        lines.filter(variant__track_inventory=True).exclude(variant_id__in=list(components)),
        "qty",
    )
    recipe = Decimal("0")
    for line in lines.filter(variant_id__in=list(components)).values("variant_id", "qty"):
        for qty in components[line["variant_id"]]:
            recipe += (line["qty"] * qty).quantize(QTY_STEP)
    return plain, recipe
