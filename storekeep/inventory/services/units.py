"""Receipts and adjustments given in any unit: lines converted to stock units, then the engine
(SPEC §4, §7).

The API's receipt and adjustment commands call :func:`receive_stock_in_units`
and :func:`adjust_stock_in_units` with their validated line dicts; quantities
and unit costs are converted with :class:`storekeep.catalog.units.UnitConverter`
(``cost per unit / factor`` = cost per stock unit). A 400 about one line is
re-raised with ``details = {"lines": {index: …}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

from storekeep.catalog.models import Variant
from storekeep.catalog.units import UnitConverter
from storekeep.core.errors import ValidationFailed
from storekeep.core.numbers import clean_qty, per_stock_unit

from ..models import LedgerRefType, StockLedger
from .stock import AdjustmentLine, ReceiptLine, adjust_stock, receive_stock


@contextmanager
def line_errors(index: int):
    """Re-raise a 400 about one line with ``details = {"lines": {index: …}}``."""
    try:
        yield
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"lines[{index}]: {exc.message}",
            code=exc.code,
            details={"lines": {str(index): exc.details}},
        ) from None


def line_variants(*, tenant, lines: Sequence[dict]) -> dict[int, Variant]:
    """The variants of ``lines`` (one query); 400 naming each line whose ``variant_id`` is not
    the tenant's."""
    ids = {line["variant_id"] for line in lines}
    variants = {
        v.pk: v for v in Variant.objects.filter(tenant=tenant, pk__in=ids).only("id", "sku", "unit")
    }
    missing = {
        str(i): {"variant_id": [f"Variant {line['variant_id']} does not exist."]}
        for i, line in enumerate(lines)
        if line["variant_id"] not in variants
    }
    if missing:
        first = next(iter(missing))
        raise ValidationFailed(
            f"lines[{first}].variant_id: {missing[first]['variant_id'][0]}",
            details={"lines": missing},
        )
    return variants


def receive_stock_in_units(
    *,
    tenant,
    location_id: int,
    lines: Sequence[dict],
    variants: dict[int, Variant],
    actor=None,
    ref_id: str = "",
    note: str = "",
) -> list[StockLedger]:
    """``receive_stock`` of ``lines`` given as ``{variant_id, qty, unit?, unit_cost?, lot_code?,
    expiry_date?}`` (``qty`` and ``unit_cost`` in ``unit``, default the stock unit);
    ``variants`` from :func:`line_variants`. Returns the RECEIPT ledger rows."""
    converter = UnitConverter(
        tenant=tenant, variants=variants, units=[line.get("unit") for line in lines]
    )
    receipt = []
    for index, line in enumerate(lines):
        with line_errors(index):
            unit = line.get("unit") or None
            qty = converter.convert(line["variant_id"], line["qty"], unit)
            receipt.append(
                ReceiptLine(
                    variant_id=line["variant_id"],
                    qty=clean_qty(qty, field_name="qty"),
                    unit_cost=per_stock_unit(
                        line.get("unit_cost"), converter.factor(line["variant_id"], unit)
                    ),
                    lot_code=line.get("lot_code") or None,
                    expiry_date=line.get("expiry_date"),
                )
            )
    return receive_stock(
        tenant=tenant,
        location_id=location_id,
        lines=receipt,
        actor=actor,
        ref_type=LedgerRefType.RECEIPT,
        ref_id=ref_id,
        note=note,
    )


def adjust_stock_in_units(
    *,
    tenant,
    location_id: int,
    lines: Sequence[dict],
    variants: dict[int, Variant],
    reason: str,
    actor=None,
    ref_id: str = "",
    note: str = "",
) -> list[StockLedger]:
    """``adjust_stock`` of ``lines`` given as ``{variant_id, delta | on_hand, expected_version?,
    unit?, unit_cost?, lot_code?}`` in ``unit`` (default the stock unit). An absolute
    ``on_hand`` may be negative only when the tenant allows negative stock."""
    converter = UnitConverter(
        tenant=tenant, variants=variants, units=[line.get("unit") for line in lines]
    )
    adjustment = []
    for index, line in enumerate(lines):
        with line_errors(index):
            unit = line.get("unit") or None
            variant_id = line["variant_id"]
            if "delta" in line:
                target = {
                    "delta": clean_qty(
                        converter.convert(variant_id, line["delta"], unit, field="delta"),
                        field_name="delta",
                        allow_negative=True,
                    )
                }
            else:
                target = {
                    "on_hand": clean_qty(
                        converter.convert(variant_id, line["on_hand"], unit, field="on_hand"),
                        field_name="on_hand",
                        allow_zero=True,
                        allow_negative=tenant.allow_negative_stock,
                    ),
                    "expected_version": line.get("expected_version"),
                }
            adjustment.append(
                AdjustmentLine(
                    variant_id=variant_id,
                    unit_cost=per_stock_unit(
                        line.get("unit_cost"), converter.factor(variant_id, unit)
                    ),
                    lot_code=line.get("lot_code") or None,
                    **target,
                )
            )
    return adjust_stock(
        tenant=tenant,
        location_id=location_id,
        lines=adjustment,
        reason=reason,
        note=note,
        actor=actor,
        ref_id=ref_id,
    )
