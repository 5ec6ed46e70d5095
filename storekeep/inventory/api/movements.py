"""``POST /api/v1/inventory/receipts`` and ``/adjustments`` (SPEC §4, §7, §10).

MANAGER+ at a location the member is assigned to; both honour
``Idempotency-Key``. Lines may give quantities in another ``unit`` (converted
by :mod:`storekeep.catalog.units`). An absolute adjustment of one line takes
``If-Match: "<version>"`` as its ``expected_version``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from storekeep.catalog.models import Variant
from storekeep.catalog.units import UnitConverter
from storekeep.core.errors import ValidationFailed
from storekeep.core.idempotency import idempotent
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView
from storekeep.locations.models import Location
from storekeep.tenants.models import Role

from ..models import LedgerRefType, StockLedger
from ..selectors import stock_level_list
from ..services import AdjustmentLine, ReceiptLine, adjust_stock, clean_qty, receive_stock
from .serializers import AdjustmentSerializer, MovementResultSerializer, ReceiptSerializer
from .stock import etag

COST_STEP = Decimal("0.0001")
IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Apply at most once: a repeat returns the first response with `Idempotent-Replayed: true`; "
    "the same key with another body is 422 `idempotency_key_reused`.",
)
IF_MATCH_PARAM = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='`"<version>"` (the stock row\'s ETag): expected version of a single `on_hand` line.',
)
COMMAND_ERRORS = error_responses(400, 401, 403, 409, 415, 422)
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


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


class MovementView(TenantAPIView):
    """Shared parsing of a location + lines command."""

    write_role = Role.MANAGER

    def tenant_location(self, location_id: int) -> Location:
        """The tenant's location (400 "does not exist" otherwise), 403 if the member is not assigned."""
        location = (
            Location.objects.filter(tenant=self.tenant, pk=location_id)
            .only("id", "code", "is_active")
            .first()
        )
        if location is None:
            raise ValidationFailed(
                f"location_id: Location {location_id} does not exist.",
                details={"location_id": [f"Location {location_id} does not exist."]},
            )
        self.check_location_access(location.pk)
        return location

    def tenant_variants(self, lines) -> dict[int, Variant]:
        """Variants of the lines (one query); 400 naming each line whose variant_id is not the tenant's."""
        ids = {line["variant_id"] for line in lines}
        variants = {
            v.pk: v
            for v in Variant.objects.filter(tenant=self.tenant, pk__in=ids).only(
                "id", "sku", "unit"
            )
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

    def result(self, rows: list[StockLedger], location_id: int, variant_ids) -> Response:
        """201 ``{ledger: rows written, items: stock levels after}`` (+ ETag for a single item)."""
        if all(row.pk for row in rows):  # one query for the rows with their variant and location
            index_by_pk = {row.pk: row.line_index for row in rows}
            ledger = list(
                StockLedger.objects.filter(pk__in=index_by_pk)
                .select_related("variant", "location")
                .order_by("pk")
            )
            for row in ledger:
                row.line_index = index_by_pk[row.pk]
        else:  # a database that does not return ids from bulk inserts
            ledger = rows
        items = list(
            stock_level_list(tenant=self.tenant, filters={"location_id": location_id}).filter(
                variant_id__in=variant_ids
            )
        )
        body = MovementResultSerializer({"ledger": ledger, "items": items}).data
        response = Response(body, status=201)
        if len(items) == 1:
            response["ETag"] = etag(items[0].version)
        return response


class ReceiptView(MovementView):
    @extend_schema(
        summary="Receive stock into a location",
        request=ReceiptSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: MovementResultSerializer, **COMMAND_ERRORS},
    )
    @idempotent
    def post(self, request):
        serializer = ReceiptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        location = self.tenant_location(data["location_id"])
        variants = self.tenant_variants(data["lines"])
        converter = UnitConverter(
            tenant=self.tenant,
            variants=variants,
            units=[line.get("unit") for line in data["lines"]],
        )
        lines = []
        for index, line in enumerate(data["lines"]):
            with line_errors(index):
                unit = line.get("unit") or None
                qty = clean_qty(
                    converter.convert(line["variant_id"], line["qty"], unit), field_name="qty"
                )
                cost = line.get("unit_cost")
                if cost is not None:
                    cost = (cost / converter.factor(line["variant_id"], unit)).quantize(COST_STEP)
                lines.append(
                    ReceiptLine(
                        variant_id=line["variant_id"],
                        qty=qty,
                        unit_cost=cost,
                        lot_code=line.get("lot_code") or None,
                        expiry_date=line.get("expiry_date"),
                    )
                )
        rows = receive_stock(
            tenant=self.tenant,
            location_id=location.pk,
            lines=lines,
            actor=request.user,
            ref_type=LedgerRefType.RECEIPT,
            ref_id=data.get("reference", ""),
            note=data.get("note", ""),
        )
        return self.result(rows, location.pk, variants)


def parse_if_match(request) -> int | None:
    """The version in ``If-Match`` (``"7"``, ``W/"7"`` or ``7``), None without one or for ``*``."""
    value = request.headers.get("If-Match", "").strip()
    if not value or value == "*":
        return None
    match = _IF_MATCH.match(value)
    if match is None:
        raise ValidationFailed('If-Match must be an ETag like "7".', details={"If-Match": [value]})
    return int(match.group(1))


class AdjustmentView(MovementView):
    @extend_schema(
        summary="Adjust stock: signed delta with a reason, or absolute on_hand",
        request=AdjustmentSerializer,
        parameters=[IDEMPOTENCY_PARAM, IF_MATCH_PARAM],
        responses={
            201: OpenApiResponse(
                MovementResultSerializer, description="With `ETag` for a single item."
            ),
            **COMMAND_ERRORS,
        },
    )
    @idempotent
    def post(self, request):
        serializer = AdjustmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if_match = parse_if_match(request)
        if if_match is not None:
            absolute = [line for line in data["lines"] if "on_hand" in line]
            if len(data["lines"]) != 1 or not absolute:
                raise ValidationFailed(
                    "If-Match applies to a single on_hand line.",
                    details={"If-Match": ["Only with exactly one on_hand line."]},
                )
            line = absolute[0]
            if line.get("expected_version", if_match) != if_match:
                raise ValidationFailed(
                    "If-Match and expected_version disagree.",
                    details={
                        "If-Match": [str(if_match)],
                        "expected_version": [str(line["expected_version"])],
                    },
                )
            line["expected_version"] = if_match
        location = self.tenant_location(data["location_id"])
        variants = self.tenant_variants(data["lines"])
        converter = UnitConverter(
            tenant=self.tenant,
            variants=variants,
            units=[line.get("unit") for line in data["lines"]],
        )
        negative_ok = self.tenant.allow_negative_stock
        lines = []
        for index, line in enumerate(data["lines"]):
            with line_errors(index):
                unit = line.get("unit") or None
                kwargs = {}
                if "delta" in line:
                    kwargs["delta"] = clean_qty(
                        converter.convert(line["variant_id"], line["delta"], unit, field="delta"),
                        field_name="delta",
                        allow_negative=True,
                    )
                else:
                    kwargs["on_hand"] = clean_qty(
                        converter.convert(
                            line["variant_id"], line["on_hand"], unit, field="on_hand"
                        ),
                        field_name="on_hand",
                        allow_zero=True,
                        allow_negative=negative_ok,
                    )
                    kwargs["expected_version"] = line.get("expected_version")
                cost = line.get("unit_cost")
                if cost is not None:
                    cost = (cost / converter.factor(line["variant_id"], unit)).quantize(COST_STEP)
                lines.append(
                    AdjustmentLine(
                        variant_id=line["variant_id"],
                        unit_cost=cost,
                        lot_code=line.get("lot_code") or None,
                        **kwargs,
                    )
                )
        rows = adjust_stock(
            tenant=self.tenant,
            location_id=location.pk,
            lines=lines,
            reason=data["reason"],
            note=data.get("note", ""),
            actor=request.user,
            ref_id=data.get("reference", ""),
        )
        return self.result(rows, location.pk, variants)
