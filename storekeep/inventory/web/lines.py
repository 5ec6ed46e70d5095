"""Form lines of the back office (receive, transfer, purchase order): SKU or barcode
typed or scanned, a quantity and optional extras, parsed into plain dicts with a
message per line a manager can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from storekeep.catalog.models import Variant
from storekeep.web.backoffice import parse_decimal
from storekeep.web.templatetags.backoffice import qty

DEFAULT_LINES = 5
MAX_LINES = 50


@dataclass
class FormLine:
    index: int
    code: str = ""
    values: dict = field(default_factory=dict)
    variant: Variant | None = None
    errors: dict = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not self.code and not any(self.values.values())


def line_count(request, filled: int = 0) -> int:
    asked = request.GET.get("lines") or request.POST.get("lines") or ""
    count = int(asked) if asked.isdigit() else DEFAULT_LINES
    return max(min(count, MAX_LINES), filled, 1)


def read_lines(post, names: tuple[str, ...], *, tenant, count: int) -> list[FormLine]:
    """Lines ``line-<i>-code`` (+ ``line-<i>-<name>``) of a post, variants looked up in one query."""
    lines = []
    for index in range(count):
        code = (post.get(f"line-{index}-code") or "").strip()
        values = {name: (post.get(f"line-{index}-{name}") or "").strip() for name in names}
        lines.append(FormLine(index=index, code=code, values=values))
    codes = {line.code for line in lines if line.code}
    found = {}
    if codes:
        for variant in (
            Variant.objects.filter(tenant=tenant)
            .filter(Q(sku__in=codes) | Q(barcode__in=codes))
            .select_related("product")
        ):
            found[variant.sku] = variant
            if variant.barcode:
                found.setdefault(variant.barcode, variant)
    for line in lines:
        if line.code:
            line.variant = found.get(line.code)
            if line.variant is None:
                line.errors["code"] = f"No product with SKU or barcode {line.code!r}."
        elif not line.blank:
            line.errors["code"] = "Give the SKU or barcode."
    return lines


def line_qty(line: FormLine, name: str = "qty", *, required: bool = True) -> Decimal | None:
    value = parse_decimal(line.values.get(name), field=name, errors=line.errors, required=required)
    if value is not None and value <= 0:
        line.errors[name] = "Must be more than zero."
        return None
    return value


def lines_message(used: list[FormLine]) -> str:
    """The form's message about its filled-in lines: none given, or some with errors; "" if fine."""
    if not used:
        return "Add at least one line."
    if any(line.errors for line in used):
        return "Check the highlighted lines."
    return ""


def attach_service_errors(lines: list[FormLine], details: dict) -> None:
    """Put a service's per-line details (``lines`` by index, or ``variant_ids``) on the form lines."""
    by_variant = {line.variant.pk: line for line in lines if line.variant}
    for entry in details.get("lines") or []:
        if isinstance(entry, dict):
            line = by_variant.get(entry.get("variant_id"))
            if line is not None:
                line.errors["qty"] = (
                    f"Only {qty(entry.get('available'))} available, "
                    f"{qty(entry.get('requested'))} asked."
                )
    for key in ("variant_ids", "duplicate_variant_ids"):
        for variant_id in details.get(key) or []:
            line = by_variant.get(variant_id)
            if line is not None:
                line.errors["code"] = (
                    "Listed twice." if key.startswith("duplicate") else "Not stocked here."
                )
