"""``POST /api/v1/inventory/receipts``, ``/adjustments`` and ``/write-offs`` (SPEC §4, §7, §10;
write-offs: issue 15 item 3).

MANAGER+ at a location the member is assigned to; both honour
``Idempotency-Key``. Lines may give quantities in another ``unit`` (converted
by :mod:`storekeep.catalog.units`). An absolute adjustment of one line takes
``If-Match: "<version>"`` as its ``expected_version``.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from storekeep.core.api import IDEMPOTENCY_PARAM
from storekeep.core.errors import ValidationFailed
from storekeep.core.idempotency import idempotent
from storekeep.core.serializers import error_responses
from storekeep.core.views import TenantAPIView
from storekeep.locations.models import Location
from storekeep.tenants.models import Role

from ..models import StockLedger
from ..selectors import ledger_rows_written, stock_level_list
from ..services import StockLine, clean_qty, write_off
from ..services.units import (
    adjust_stock_in_units,
    line_errors,
    line_variants,
    receive_stock_in_units,
)
from .serializers import (
    AdjustmentSerializer,
    MovementResultSerializer,
    ReceiptSerializer,
    WriteOffSerializer,
)
from .stock import etag

IF_MATCH_PARAM = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='`"<version>"` (the stock row\'s ETag): expected version of a single `on_hand` line.',
)
COMMAND_ERRORS = error_responses(400, 401, 403, 409, 415, 422)
_IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


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

    def result(self, rows: list[StockLedger], location_id: int, variant_ids) -> Response:
        """201 ``{ledger: rows written, items: stock levels after}`` (+ ETag for a single item)."""
        ledger = ledger_rows_written(tenant=self.tenant, rows=rows)
        items = list(
            stock_level_list(
                tenant=self.tenant,
                filters={"location_id": location_id, "variant_ids": list(variant_ids)},
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
        variants = line_variants(tenant=self.tenant, lines=data["lines"])
        rows = receive_stock_in_units(
            tenant=self.tenant,
            location_id=location.pk,
            lines=data["lines"],
            variants=variants,
            actor=request.user,
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
        variants = line_variants(tenant=self.tenant, lines=data["lines"])
        rows = adjust_stock_in_units(
            tenant=self.tenant,
            location_id=location.pk,
            lines=data["lines"],
            variants=variants,
            reason=data["reason"],
            actor=request.user,
            ref_id=data.get("reference", ""),
            note=data.get("note", ""),
        )
        return self.result(rows, location.pk, variants)


def write_off_lines(lines: list[dict]) -> list[StockLine]:
    """Request lines → engine lines; a bad quantity is a 400 naming its line."""
    result = []
    for index, line in enumerate(lines):
        with line_errors(index):
            qty = clean_qty(line["qty"])
        result.append(StockLine(variant_id=line["variant_id"], qty=qty, lot_id=line.get("lot_id")))
    return result


class WriteOffView(MovementView):
    """Write stock off as waste: damage, theft, spoilage, other → WASTE rows; expiry → EXPIRY
    rows (the movement report's waste and expired columns). Quantities > 0 in the stock unit;
    a line may name the ``lot_id`` it leaves (default FEFO). MANAGER+ at the location.
    409 ``insufficient_stock`` when a line exceeds what is available, nothing written."""

    @extend_schema(
        summary="Write off stock (waste or expiry)",
        request=WriteOffSerializer,
        parameters=[IDEMPOTENCY_PARAM],
        responses={201: MovementResultSerializer, **COMMAND_ERRORS},
    )
    @idempotent
    def post(self, request):
        serializer = WriteOffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        location = self.tenant_location(data["location_id"])
        variants = line_variants(tenant=self.tenant, lines=data["lines"])
        rows = write_off(
            tenant=self.tenant,
            location_id=location.pk,
            lines=write_off_lines(data["lines"]),
            reason=data["reason"],
            note=data.get("note", ""),
            actor=request.user,
        )
        return self.result(rows, location.pk, variants)
