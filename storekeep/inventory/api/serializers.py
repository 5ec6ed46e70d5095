"""Serializers of the stock, receipt, adjustment and ledger endpoints (SPEC §4, §9, §10).

Quantities and money travel as decimal strings. Input quantities are in the
line's ``unit`` (default: the variant's stock unit) and are converted by
:mod:`storekeep.catalog.units`.
"""

from decimal import Decimal

from rest_framework import serializers

from storekeep.catalog.models import QTY, UNIT_MONEY
from storekeep.core.filters import StableOrderingFilter
from storekeep.core.serializers import DecimalField, ModelSerializer

from ..filters import STOCK_ORDERING
from ..models import LedgerRefType, StockLedger, StockReason

MAX_ID = 2**63 - 1
MAX_LINES = 1000
#: Raw input quantities: converted to stock units, then held to Decimal(14,3) by the engine.
RAW_QTY = {"max_digits": 20, "decimal_places": 6}


def _id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- reads ------------------------------------------------------------------------


class StockRowSerializer(serializers.Serializer):
    """One (location, variant) stock level from ``selectors.stock_level_list``."""

    id = serializers.IntegerField()
    location_id = serializers.IntegerField()
    location_code = serializers.CharField(source="location.code")
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    name = serializers.CharField(source="variant.display_name")
    on_hand = DecimalField(**QTY)
    reserved = DecimalField(**QTY)
    available = DecimalField(**QTY, source="available_qty")
    threshold = DecimalField(**QTY)
    is_low_stock = serializers.BooleanField()
    version = serializers.IntegerField(
        help_text="Also the `ETag` of GET /inventory/stock/{id}; send it as `If-Match`."
    )
    avg_unit_cost = DecimalField(**UNIT_MONEY)
    last_movement_at = serializers.DateTimeField(allow_null=True)
    last_counted_at = serializers.DateTimeField(allow_null=True)


STOCK_COLUMNS = list(StockRowSerializer().fields)


class LedgerRowSerializer(ModelSerializer):
    location_code = serializers.CharField(source="location.code", read_only=True)
    sku = serializers.CharField(source="variant.sku", read_only=True)
    qty_delta = DecimalField(**QTY, read_only=True)
    balance_after = DecimalField(**QTY, read_only=True)
    unit_cost = DecimalField(**UNIT_MONEY, read_only=True, allow_null=True)
    reason = serializers.ChoiceField(
        choices=StockReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Adjustment/waste reason; empty on rows written without one (sales, transfers…).",
    )

    class Meta:
        model = StockLedger
        fields = [
            "id",
            "location_id",
            "location_code",
            "variant_id",
            "sku",
            "lot_id",
            "ref_type",
            "ref_id",
            "qty_delta",
            "balance_after",
            "unit_cost",
            "reason",
            "note",
            "actor_id",
            "created_at",
        ]
        read_only_fields = fields


LEDGER_COLUMNS = list(LedgerRowSerializer().fields)


class LedgerMovementSerializer(LedgerRowSerializer):
    line_index = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Index of the request line this row came from."
    )

    class Meta(LedgerRowSerializer.Meta):
        fields = [*LedgerRowSerializer.Meta.fields, "line_index"]
        read_only_fields = fields


class MovementResultSerializer(serializers.Serializer):
    ledger = LedgerMovementSerializer(
        many=True, help_text="The ledger rows written, in line order."
    )
    items = StockRowSerializer(many=True, help_text="The stock levels after the operation.")


# --- query parameters -----------------------------------------------------------


class StockQuerySerializer(serializers.Serializer):
    location_id = _id_field(required=False)
    variant_id = _id_field(required=False)
    category = _id_field(required=False, help_text="category id")
    search = serializers.CharField(
        required=False, max_length=100, help_text="SKU, barcode or product name"
    )
    low_stock = serializers.BooleanField(
        required=False, help_text="only items at or below their threshold"
    )
    ordering = serializers.ChoiceField(
        choices=StableOrderingFilter.choices_of(STOCK_ORDERING),
        required=False,
        help_text="sort by this column (`-` for descending; ties by id); default location, SKU",
    )


class LedgerQuerySerializer(serializers.Serializer):
    location_id = _id_field(required=False)
    variant_id = _id_field(required=False)
    ref_type = serializers.ChoiceField(choices=LedgerRefType.choices, required=False)
    ref_id = serializers.CharField(required=False, max_length=64)
    date_from = serializers.CharField(
        required=False,
        max_length=40,
        help_text="ISO date or date-time; a date starts at local midnight",
    )
    date_to = serializers.CharField(
        required=False,
        max_length=40,
        help_text="ISO date (inclusive, whole day) or date-time (exclusive)",
    )
    search = serializers.CharField(required=False, max_length=100, help_text="SKU, note or ref id")


# --- commands -----------------------------------------------------------------------


class ReceiptLineSerializer(serializers.Serializer):
    variant_id = _id_field()
    qty = DecimalField(**RAW_QTY, help_text="> 0, in `unit` (default: the stock unit)")
    unit_cost = DecimalField(
        **UNIT_MONEY,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text="per `unit`; default the variant's cost",
    )
    lot_code = serializers.CharField(max_length=64, required=False, allow_blank=True)
    expiry_date = serializers.DateField(required=False, allow_null=True)
    unit = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="kg, g, L, mL or a unit with a UnitConversion of the variant",
    )


class ReceiptSerializer(serializers.Serializer):
    location_id = _id_field()
    lines = ReceiptLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)
    reference = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Your document number (ledger `ref_id`)",
    )


class AdjustmentLineSerializer(serializers.Serializer):
    variant_id = _id_field()
    delta = DecimalField(**RAW_QTY, required=False, help_text="signed change (not zero)")
    on_hand = DecimalField(**RAW_QTY, required=False, help_text="absolute new on hand")
    expected_version = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="with on_hand: 409 version_conflict on mismatch",
    )
    unit = serializers.CharField(max_length=16, required=False, allow_blank=True)
    unit_cost = DecimalField(**UNIT_MONEY, min_value=Decimal("0"), required=False, allow_null=True)
    lot_code = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def validate(self, attrs):
        if ("delta" in attrs) == ("on_hand" in attrs):
            raise serializers.ValidationError("Give exactly one of delta or on_hand.")
        if "expected_version" in attrs and "on_hand" not in attrs:
            raise serializers.ValidationError({"expected_version": ["Only with on_hand."]})
        return attrs


class AdjustmentSerializer(serializers.Serializer):
    location_id = _id_field()
    reason = serializers.ChoiceField(choices=StockReason.choices)
    lines = AdjustmentLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True)


#: Reasons a write-off may give (issue 15 item 3); ``expiry`` writes EXPIRY rows, the rest WASTE.
WRITE_OFF_REASONS = [
    StockReason.DAMAGE,
    StockReason.THEFT,
    StockReason.SPOILAGE,
    StockReason.EXPIRY,
    StockReason.OTHER,
]

WRITE_OFF_REASON_CHOICES = [(r.value, r.label) for r in WRITE_OFF_REASONS]


class WriteOffLineSerializer(serializers.Serializer):
    variant_id = _id_field()
    qty = DecimalField(**RAW_QTY, help_text="> 0, in the variant's stock unit")
    lot_id = _id_field(
        required=False, allow_null=True, help_text="the lot to take it from (default FEFO)"
    )


class WriteOffSerializer(serializers.Serializer):
    location_id = _id_field()
    reason = serializers.ChoiceField(
        choices=WRITE_OFF_REASON_CHOICES,
        help_text="`expiry` writes EXPIRY ledger rows, the others WASTE rows",
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)
    lines = WriteOffLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
