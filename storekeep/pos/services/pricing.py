"""Cart pricing shared by quote, checkout and returns without receipt (SPEC §5).

Resolves cart lines to the tenant's variants (by id or barcode, one query),
applies the catalog price unless an override is allowed, and calls the pure
`compute_receipt`. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from storekeep.catalog.models import Product, TaxCategory, Variant
from storekeep.catalog.units import require_whole_units
from storekeep.core.db import any_of, fetch_rows, joined_columns, joined_instances
from storekeep.core.errors import NotFound, PermissionDenied, ValidationFailed
from storekeep.core.numbers import qty_problem
from storekeep.pos.error_codes import PosErrorCode
from storekeep.pos.totals import (
    Receipt,
    ReceiptError,
    ReceiptLineInput,
    compute_receipt,
    minor_unit_exponent,
)

ZERO = Decimal("0")
PRICE_STEP = Decimal("0.0001")
MAX_PRICE = Decimal("9999999999.9999")


@dataclass(frozen=True)
class CartLine:
    """One cart line as a caller gives it.

    Exactly one of ``variant`` (a loaded Variant with ``product.tax_category``,
    saves the lookup: importers), ``variant_id`` or ``barcode``. ``qty`` in the
    variant's stock unit (≤ 3 decimals). ``unit_price`` (≤ 4 decimals) overrides
    the catalog price when allowed. At most one of the discounts.
    """

    qty: Decimal
    variant_id: int | None = None
    barcode: str | None = None
    variant: Variant | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None


@dataclass(frozen=True)
class PricedCart:
    """A cart resolved against the catalog and priced by `compute_receipt`."""

    receipt: Receipt
    variants: tuple[Variant, ...]  # one per line, in line order

    @property
    def lines(self):
        return self.receipt.lines


def receipt_error_to_domain(exc: ReceiptError) -> ValidationFailed:
    """Map a pure `ReceiptError` to the project's 400 error with the same code."""
    return ValidationFailed(exc.message, code=exc.code, details=exc.details)


def tax_rate_of(variant: Variant) -> Decimal:
    """The variant's tax rate in percent: its product's tax category, else 0."""
    category = variant.product.tax_category if variant.product_id else None
    return category.rate if category is not None else ZERO


def check_line_qty(qty, index: int) -> Decimal:
    """A cart or return line's quantity: a Decimal > 0 with at most 3 places, within
    ``Decimal(14,3)`` (``core.numbers.qty_problem``); else 400 ``invalid_quantity``."""
    if not isinstance(qty, Decimal) or not qty.is_finite():
        raise ValidationFailed(
            "qty must be a decimal number.",
            code=PosErrorCode.INVALID_QUANTITY,
            details={"line": index},
        )
    if qty_problem(qty) is not None:
        raise ValidationFailed(
            "qty must be positive with at most 3 decimals.",
            code=PosErrorCode.INVALID_QUANTITY,
            details={"line": index, "qty": str(qty)},
        )
    return qty


_VARIANT_JOIN = (("v", Variant), ("p", Product), ("t", TaxCategory))


def _variants_with_product(tenant_id: int, ids: set[int], codes: set[str]) -> list[Variant]:
    """The tenant's variants of ``ids`` or ``codes`` (barcodes) with ``product`` and its
    ``tax_category`` loaded: ``Variant.objects.filter(Q(pk__in=ids) | Q(barcode__in=codes),
    tenant=…).select_related("product__tax_category")``, written by hand because every
    cart asks it (issue 11: building it cost more than running it)."""
    selected, columns, layout, table = joined_columns(_VARIANT_JOIN)
    conditions, params = [], [tenant_id]
    if ids:
        condition, values = any_of(Variant, "id", ids)
        conditions.append(f"v.{condition}")
        params += values
    if codes:
        condition, values = any_of(Variant, "barcode", codes)
        conditions.append(f"v.{condition}")
        params += values
    sql = (
        f"SELECT {selected} FROM {table['v']} v "
        f"JOIN {table['p']} p ON p.id = v.product_id "
        f"LEFT JOIN {table['t']} t ON t.id = p.tax_category_id "
        f"WHERE v.tenant_id = %s AND ({' OR '.join(conditions)})"
    )
    product_field = Variant._meta.get_field("product")
    tax_field = Product._meta.get_field("tax_category")
    variants = []
    for row in fetch_rows(sql, params, columns):
        variant, product, tax_category = joined_instances(row, layout)
        tax_field.set_cached_value(product, tax_category)
        product_field.set_cached_value(variant, product)
        variants.append(variant)
    return variants


def resolve_variants(tenant, lines: Sequence[CartLine]) -> list[Variant]:
    """The variant of each line, in order; one query for those given by id or barcode.

    Raises 404 ``unknown_variant`` naming each unresolved line (another
    tenant's id answers the same), 422 ``variant_inactive``.
    """
    ids = {
        line.variant_id for line in lines if line.variant is None and line.variant_id is not None
    }
    codes = {
        line.barcode
        for line in lines
        if line.variant is None and line.variant_id is None and line.barcode
    }
    by_id: dict[int, Variant] = {}
    by_code: dict[str, Variant] = {}
    if ids or codes:
        for variant in _variants_with_product(tenant.pk, ids, codes):
            by_id[variant.pk] = variant
            if variant.barcode:
                by_code[variant.barcode] = variant
    resolved: list[Variant] = []
    unknown: list[dict] = []
    inactive: list[dict] = []
    for index, line in enumerate(lines):
        variant = line.variant
        if variant is not None and variant.tenant_id != tenant.pk:
            variant = None
        elif variant is None:
            variant = (
                by_id.get(line.variant_id)
                if line.variant_id is not None
                else (by_code.get(line.barcode) if line.barcode else None)
            )
        if variant is None:
            unknown.append({"line": index, "variant_id": line.variant_id, "barcode": line.barcode})
            continue
        if not variant.is_active or not variant.product.is_active:
            inactive.append({"line": index, "variant_id": variant.pk, "sku": variant.sku})
        resolved.append(variant)
    if unknown:
        raise NotFound(
            "Unknown variant.", code=PosErrorCode.UNKNOWN_VARIANT, details={"lines": unknown}
        )
    if inactive:
        raise ValidationFailed(
            "This variant is not sold any more.",
            code=PosErrorCode.VARIANT_INACTIVE,
            status_code=422,
            details={"lines": inactive},
        )
    return resolved


def price_cart(
    *,
    tenant,
    lines: Sequence[CartLine],
    allow_price_override: bool = False,
    order_discount_percent: Decimal | None = None,
    order_discount_amount: Decimal | None = None,
    variants: Sequence[Variant] | None = None,
) -> PricedCart:
    """Resolve and price a cart (SPEC §5 "Totals"); no writes.

    A ``unit_price`` that differs from the catalog price needs
    ``allow_price_override`` (MANAGER at the till, importers): else 403
    ``price_override_forbidden``. Errors of `compute_receipt` come back as 400
    with its code (``invalid_discount``, ``invalid_quantity``, …); an empty cart
    is 400 ``empty_cart``; a fractional quantity of a whole-number unit (piece,
    portion) is 400 ``fractional_quantity``.
    """
    _check_lines(lines)
    if variants is None:
        variants = resolve_variants(tenant, lines)
    require_whole_units(
        (index, variant, line.qty)
        for index, (line, variant) in enumerate(zip(lines, variants, strict=True))
    )
    if not allow_price_override:
        _refuse_price_overrides(lines, variants)
    inputs = [
        ReceiptLineInput(
            unit_price=line.unit_price if line.unit_price is not None else variant.price,
            qty=line.qty,
            tax_rate=tax_rate_of(variant),
            fee_per_unit=variant.fee,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
            key=index,
        )
        for index, (line, variant) in enumerate(zip(lines, variants, strict=True))
    ]
    try:
        receipt = compute_receipt(
            inputs,
            prices_include_tax=tenant.prices_include_tax,
            currency=tenant.currency,
            order_discount_percent=order_discount_percent,
            order_discount_amount=order_discount_amount,
        )
    except ReceiptError as exc:
        raise receipt_error_to_domain(exc) from None
    except TypeError as exc:
        raise ValidationFailed(str(exc), code=PosErrorCode.INVALID_AMOUNT) from None
    return PricedCart(receipt=receipt, variants=tuple(variants))


def _check_lines(lines: Sequence[CartLine]) -> None:
    """At least one line (400 ``empty_cart``), each with a valid qty and unit price (400)."""
    if not lines:
        raise ValidationFailed("A cart needs at least one line.", code=PosErrorCode.EMPTY_CART)
    for index, line in enumerate(lines):
        check_line_qty(line.qty, index)
        if line.unit_price is not None and (
            not isinstance(line.unit_price, Decimal)
            or not line.unit_price.is_finite()
            or line.unit_price < 0
            or line.unit_price > MAX_PRICE
            or line.unit_price != line.unit_price.quantize(PRICE_STEP)
        ):
            raise ValidationFailed(
                "unit_price must be a non-negative amount with at most 4 decimals.",
                code=PosErrorCode.INVALID_PRICE,
                details={"line": index, "unit_price": str(line.unit_price)},
            )


def _refuse_price_overrides(lines: Sequence[CartLine], variants: Sequence[Variant]) -> None:
    """403 ``price_override_forbidden`` naming every line priced off the catalog."""
    overrides = [
        {
            "line": i,
            "variant_id": v.pk,
            "catalog_price": str(v.price),
            "unit_price": str(ln.unit_price),
        }
        for i, (ln, v) in enumerate(zip(lines, variants, strict=True))
        if ln.unit_price is not None and ln.unit_price != v.price
    ]
    if overrides:
        raise PermissionDenied(
            "Selling at a price other than the catalog price needs a manager.",
            code=PosErrorCode.PRICE_OVERRIDE_FORBIDDEN,
            details={"lines": overrides},
        )


def currency_exponent(tenant) -> int:
    try:
        return minor_unit_exponent(tenant.currency)
    except ReceiptError as exc:
        raise receipt_error_to_domain(exc) from None
