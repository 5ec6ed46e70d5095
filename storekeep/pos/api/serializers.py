"""Request and response bodies of the point-of-sale API (SPEC §5, §10)."""

from __future__ import annotations

import re
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from storekeep.core.serializers import (
    DecimalField,
    ErrorSerializer,  # noqa: F401  (re-exported for views)
    ModelSerializer,
)
from storekeep.pos.models import (
    CashMovement,
    Payment,
    Register,
    RegisterSession,
    Return,
    ReturnLine,
    Sale,
)
from storekeep.pos.services import CartLine, ReturnLineInput, Tender
from storekeep.pos.totals import tax_summary

MAX_LINES = 500
MAX_ID = 2**63 - 1  # BIGINT primary keys; larger ids cannot exist (and must not reach the DB)


def id_field(**kw):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kw)


def _money(**kw):
    return DecimalField(max_digits=12, decimal_places=2, **kw)


def _qty(**kw):
    return DecimalField(max_digits=14, decimal_places=3, **kw)


def _unit_price(**kw):
    return DecimalField(max_digits=14, decimal_places=4, **kw)


def _percent(**kw):
    return DecimalField(
        max_digits=7, decimal_places=4, min_value=Decimal("0"), max_value=Decimal("100"), **kw
    )


# --------------------------------------------------------------------- registers


class RegisterSerializer(ModelSerializer):
    location_id = id_field()
    open_session_id = serializers.SerializerMethodField()

    class Meta:
        model = Register
        fields = [
            "id",
            "location_id",
            "code",
            "name",
            "is_active",
            "receipt_counter",
            "open_session_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "receipt_counter", "open_session_id", "created_at", "updated_at"]

    def get_open_session_id(self, obj) -> int | None:
        opened = getattr(obj, "open_sessions", None)
        return opened[0].pk if opened else None


class SessionOpenInput(serializers.Serializer):
    opening_float = _money(min_value=Decimal("0"), required=False, default=Decimal("0.00"))


class SessionOpenOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    token = serializers.CharField(
        help_text="Send as `Authorization: Register <token>`; shown once."
    )
    register_id = serializers.IntegerField()
    location_id = serializers.IntegerField()
    opening_float = _money()
    opened_at = serializers.DateTimeField()


class SessionCloseInput(serializers.Serializer):
    counted_cash = _money(min_value=Decimal("0"))


class ApprovalCredentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class ApprovalFields(serializers.Serializer):
    """A manager's approval for what a cashier may not do alone (issue 12 item 3): the
    manager's ``approval`` credentials, or an ``approval_token`` from ``POST /pos/approvals``."""

    approval = ApprovalCredentials(
        required=False,
        help_text="Username and password of an active MANAGER or OWNER of this store "
        "(counted by the sign-in throttle).",
    )
    approval_token = serializers.CharField(
        required=False,
        max_length=128,
        help_text="A single-use approval token from POST /api/v1/pos/approvals (5 minutes).",
    )

    def validate(self, attrs):
        if "approval" in attrs and "approval_token" in attrs:
            raise serializers.ValidationError("Give approval or approval_token, not both.")
        return super().validate(attrs)


class VoidInput(ApprovalFields):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="Why the sale is voided; stored on the sale and the ledger note. Required "
        "(400 reason_required) when the void needs a manager's approval.",
    )


class TenderTotalSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    amount = _money()


class TaxRateTotalSerializer(serializers.Serializer):
    rate = DecimalField(
        max_digits=7, decimal_places=4, help_text="Tax rate in percent (20 = 20 %)."
    )
    net = _money(help_text="Amount without tax (fees left out).")
    tax = _money()
    total = _money(help_text="net + tax.")


class CashierTotalSerializer(serializers.Serializer):
    cashier_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField()
    sales_count = serializers.IntegerField()
    sales_total = _money()
    voids_count = serializers.IntegerField()
    voids_total = _money()
    returns_count = serializers.IntegerField()
    returns_total = _money()


class CashMovementOutput(serializers.Serializer):
    cash_movement_id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=CashMovement.Direction.choices)
    amount = _money()
    reason = serializers.CharField()
    created_by = serializers.CharField(help_text="Username of who recorded it.")
    created_at = serializers.DateTimeField()


class CashMovementInput(serializers.Serializer):
    amount = _money(min_value=Decimal("0.01"), help_text="More than 0, at most 2 decimals.")
    direction = serializers.ChoiceField(choices=CashMovement.Direction.choices)
    reason = serializers.CharField(max_length=255)


class VoidSummarySerializer(serializers.Serializer):
    sale_id = serializers.IntegerField()
    receipt_number = serializers.CharField()
    total = _money()
    reason = serializers.CharField(allow_blank=True)
    voided_by = serializers.CharField(allow_blank=True)
    approved_by = serializers.CharField(allow_null=True, help_text="Approving manager's username.")
    voided_at = serializers.DateTimeField(allow_null=True)


class ApprovalSummarySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["VOID", "RETURN", "DISCOUNT"])
    sale_id = serializers.IntegerField(allow_null=True)
    return_id = serializers.IntegerField(allow_null=True)
    receipt_number = serializers.CharField(allow_blank=True)
    amount = _money(help_text="Voided total, refund total or the line's discount.")
    approved_by = serializers.CharField(help_text="Approving manager's username.")
    reason = serializers.CharField(allow_blank=True)


class ZReportSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    register_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RegisterSession.Status.choices)
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    opening_float = _money()
    sales_count = serializers.IntegerField()
    gross_sales = _money()
    discounts = _money()
    tax = _money()
    sales_total = _money()
    voids_count = serializers.IntegerField()
    voids_total = _money()
    returns_count = serializers.IntegerField()
    returns_total = _money()
    net_sales = _money()
    tenders = TenderTotalSerializer(many=True)
    refunds = TenderTotalSerializer(many=True)
    tax_rates = TaxRateTotalSerializer(many=True, help_text="Completed sales per tax rate.")
    cashiers = CashierTotalSerializer(many=True)
    paid_in = _money()
    paid_out = _money()
    cash_movements = CashMovementOutput(many=True)
    voids = VoidSummarySerializer(many=True)
    approvals = ApprovalSummarySerializer(many=True)
    expected_cash = _money(
        help_text="opening float + cash sales − cash refunds + paid in − paid out."
    )
    counted_cash = _money(allow_null=True)
    variance = _money(allow_null=True)


# ---------------------------------------------------------------- quote / checkout


class CartLineInput(serializers.Serializer):
    variant_id = id_field(required=False)
    barcode = serializers.CharField(required=False, max_length=64)
    qty = _qty(min_value=Decimal("0.001"))
    unit_price = _unit_price(required=False, min_value=Decimal("0"))
    discount_percent = _percent(required=False)
    discount_amount = _money(required=False, min_value=Decimal("0"))

    def validate(self, attrs):
        if ("variant_id" in attrs) == ("barcode" in attrs):
            raise serializers.ValidationError("Give exactly one of variant_id or barcode.")
        if "discount_percent" in attrs and "discount_amount" in attrs:
            raise serializers.ValidationError(
                "Give at most one of discount_percent or discount_amount."
            )
        return attrs

    def to_cart_line(self, attrs) -> CartLine:
        return CartLine(**attrs)


class CartInput(serializers.Serializer):
    lines = CartLineInput(many=True, allow_empty=False, max_length=MAX_LINES)
    order_discount_percent = _percent(required=False)
    order_discount_amount = _money(required=False, min_value=Decimal("0"))
    location_id = id_field(
        required=False,
        help_text="Back-office (Bearer) calls only: the store selling (checkout: required; "
        "quote: optional, checked as checkout checks it). Ignored at the till.",
    )

    def validate(self, attrs):
        if "order_discount_percent" in attrs and "order_discount_amount" in attrs:
            raise serializers.ValidationError(
                "Give at most one of order_discount_percent or order_discount_amount."
            )
        return super().validate(attrs)

    @staticmethod
    def cart_lines(attrs) -> list[CartLine]:
        return [CartLine(**line) for line in attrs["lines"]]


class TenderInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    amount = _money(min_value=Decimal("0.01"))

    @staticmethod
    def to_tender(attrs) -> Tender:
        return Tender(method=attrs["method"], amount=attrs["amount"])


class CheckoutInput(CartInput, ApprovalFields):
    discount_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="Why a discount above the cashier's limit is given (stored on the approved "
        "lines); required (400 reason_required) when that discount needs approval.",
    )
    tenders = TenderInput(many=True, required=False, default=list, max_length=20)
    source = serializers.ChoiceField(
        choices=[Sale.Source.API, Sale.Source.ADMIN, Sale.Source.IMPORT],
        required=False,
        help_text="Back-office (Bearer) checkouts only; till sales are always POS.",
    )
    external_ref = serializers.CharField(required=False, allow_blank=True, max_length=64)
    customer_ref = serializers.CharField(required=False, allow_blank=True, max_length=64)

    @classmethod
    def fast_validated(cls, data) -> dict | None:
        """``validated_data`` of the till's everyday cart, read without DRF's per-field
        dispatch (issue 11: a 21-line cart cost ~3 ms); None for anything else.

        Taken: a JSON object with ``lines`` (1–500 objects of ``variant_id`` as a JSON
        integer or a plain ``barcode``, and ``qty``) and optional ``tenders`` (at most 20
        objects of ``method`` and ``amount``), every number within its field's digits and
        minimum. Anything else (another key, a string id, a value out of range, a bad
        value) returns None and the caller validates with the serializer, so every
        message stays the serializer's. The result equals ``validated_data`` (tested
        against it on generated bodies in ``pos/tests/test_fast_checkout_input.py``).
        """
        if type(data) is not dict or not data.keys() <= _FAST_KEYS:
            return None
        lines = data.get("lines")
        tenders = data.get("tenders", [])
        if type(lines) is not list or not 0 < len(lines) <= MAX_LINES:
            return None
        if type(tenders) is not list or len(tenders) > _MAX_TENDERS:
            return None
        clean_lines = []
        for line in lines:
            if type(line) is not dict or len(line) != 2:
                return None
            qty = _fast_decimal(line.get("qty"), _QTY_TEXT, _QTY_QUANTUM)
            if qty is None:
                return None
            if "variant_id" in line:
                variant_id = line["variant_id"]
                if type(variant_id) is not int or not 0 < variant_id <= MAX_ID:
                    return None
                clean_lines.append({"variant_id": variant_id, "qty": qty})
            elif "barcode" in line:
                barcode = line["barcode"]
                if type(barcode) is not str or not _BARCODE_TEXT.match(barcode):
                    return None
                clean_lines.append({"barcode": barcode, "qty": qty})
            else:
                return None
        clean_tenders = []
        for tender in tenders:
            if type(tender) is not dict or tender.keys() != _TENDER_KEYS:
                return None
            method = tender["method"]
            amount = _fast_decimal(tender["amount"], _MONEY_TEXT, _MONEY_QUANTUM)
            if type(method) is not str or method not in _METHODS or amount is None:
                return None
            clean_tenders.append({"method": method, "amount": amount})
        return {"lines": clean_lines, "discount_reason": "", "tenders": clean_tenders}


# Fast checkout input (CheckoutInput.fast_validated): positive numbers within the fields'
# digits (qty: 14 digits, 3 places, ≥ 0.001; money: 12 digits, 2 places, ≥ 0.01).
_FAST_KEYS = frozenset({"lines", "tenders"})
_TENDER_KEYS = {"method", "amount"}
_MAX_TENDERS = 20
_METHODS = frozenset(Payment.Method.values)
_QTY_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,10})(?:\.[0-9]{1,3})?\Z")
_MONEY_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,2})?\Z")
_QTY_QUANTUM = Decimal("0.001")
_MONEY_QUANTUM = Decimal("0.01")
_BARCODE_TEXT = re.compile(r"[0-9A-Za-z._-]{1,64}\Z")


def _fast_decimal(value, pattern, quantum: Decimal) -> Decimal | None:
    """``value`` (number text or a JSON integer) quantized to ``quantum`` if it matches
    ``pattern`` and is at least ``quantum``; else None."""
    if type(value) is int:
        value = str(value)
    elif type(value) is not str:
        return None
    if not pattern.match(value):
        return None
    number = Decimal(value).quantize(quantum)
    return number if number >= quantum else None


class ReceiptLineOutput(serializers.Serializer):
    line_no = serializers.IntegerField()
    sale_line_id = serializers.IntegerField(required=False)
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    variant_name = serializers.CharField(allow_blank=True)
    unit_price = _unit_price()
    qty = _qty()
    gross = _money()
    discount = _money()
    net = _money()
    tax_rate = DecimalField(max_digits=7, decimal_places=4)
    tax = _money()
    fee = _money()
    line_total = _money()
    qty_returned = _qty(required=False)
    discount_approved_by_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Manager who approved this line's discount."
    )
    discount_approved_by = serializers.CharField(
        required=False, allow_null=True, help_text="That manager's username."
    )
    discount_reason = serializers.CharField(required=False, allow_blank=True)


class ReceiptOutput(serializers.Serializer):
    currency = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    lines = ReceiptLineOutput(many=True)
    subtotal = _money()
    discount_total = _money()
    tax_total = _money()
    total = _money()
    tax_summary = TaxRateTotalSerializer(many=True, help_text="Per tax rate: net and tax.")


class PaymentOutput(serializers.Serializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    amount = _money(help_text="Amount applied to the sale (cash net of change).")
    tendered = _money(allow_null=True)


class SaleOutput(ReceiptOutput):
    sale_id = serializers.IntegerField()
    receipt_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Sale.Status.choices)
    source = serializers.ChoiceField(choices=Sale.Source.choices)
    location_id = serializers.IntegerField()
    register_id = serializers.IntegerField(allow_null=True)
    session_id = serializers.IntegerField(allow_null=True)
    cashier_id = serializers.IntegerField(allow_null=True)
    external_ref = serializers.CharField()
    completed_at = serializers.DateTimeField()
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField(allow_blank=True)
    void_approved_by_id = serializers.IntegerField(allow_null=True)
    void_approved_by = serializers.CharField(
        allow_null=True, help_text="Username of the manager who approved the void."
    )
    tenders = PaymentOutput(many=True)
    change_due = _money()


class SaleLineRecordOutput(serializers.Serializer):
    """A persisted SaleLine as ``ReceiptLineOutput`` renders it."""

    line_no = serializers.IntegerField()
    sale_line_id = serializers.IntegerField(source="pk")
    variant_id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    product_name = serializers.CharField(source="variant.product.name")
    variant_name = serializers.CharField(source="variant.name")
    unit_price = _unit_price()
    qty = _qty()
    gross = _money()
    discount = _money()
    net = _money()
    tax_rate = DecimalField(max_digits=7, decimal_places=4)
    tax = _money()
    fee = _money()
    line_total = _money()
    qty_returned = _qty()
    discount_approved_by_id = serializers.IntegerField(allow_null=True)
    discount_approved_by = serializers.CharField(
        source="discount_approved_by.username", allow_null=True, default=None
    )
    discount_reason = serializers.CharField()


class SaleRecordOutput(serializers.Serializer):
    """A persisted Sale (lines with variants and payments loaded, ``sale_get``) rendered exactly
    as ``SaleOutput`` documents it; ``context["tenant"]`` gives currency and tax mode."""

    currency = serializers.SerializerMethodField()
    prices_include_tax = serializers.SerializerMethodField()
    lines = SaleLineRecordOutput(many=True, source="lines.all")
    subtotal = _money()
    discount_total = _money()
    tax_total = _money()
    total = _money()
    tax_summary = serializers.SerializerMethodField()
    sale_id = serializers.IntegerField(source="pk")
    receipt_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Sale.Status.choices)
    source = serializers.ChoiceField(choices=Sale.Source.choices)
    location_id = serializers.IntegerField()
    register_id = serializers.IntegerField(
        source="register_session.register_id", allow_null=True, default=None
    )
    session_id = serializers.IntegerField(source="register_session_id", allow_null=True)
    cashier_id = serializers.IntegerField(allow_null=True)
    external_ref = serializers.CharField()
    completed_at = serializers.DateTimeField()
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField()
    void_approved_by_id = serializers.IntegerField(allow_null=True)
    void_approved_by = serializers.CharField(
        source="void_approved_by.username", allow_null=True, default=None
    )
    tenders = PaymentOutput(many=True, source="payments.all")
    change_due = _money()

    @extend_schema_field(TaxRateTotalSerializer(many=True))
    def get_tax_summary(self, sale) -> list[dict]:
        return TaxRateTotalSerializer(tax_summary(sale.lines.all()), many=True).data

    def get_currency(self, sale) -> str:
        return self.context["tenant"].currency

    def get_prices_include_tax(self, sale) -> bool:
        return self.context["tenant"].prices_include_tax


# A row of ``sale_list``: an instance, or its ``values(*SALE_LIST_VALUES)`` row (no docstring:
# it would become the OpenAPI description).
class SaleListOutput(serializers.Serializer):
    sale_id = serializers.IntegerField(source="pk")
    receipt_number = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()
    location_id = serializers.IntegerField()
    register_id = serializers.IntegerField(allow_null=True, default=None)  # sale_list annotates
    session_id = serializers.IntegerField(source="register_session_id", allow_null=True)
    external_ref = serializers.CharField()
    completed_at = serializers.DateTimeField()
    subtotal = _money()
    discount_total = _money()
    tax_total = _money()
    total = _money()


#: The ``values()`` of a ``sale_list`` row that ``SaleListOutput`` reads (one per field source).
SALE_LIST_VALUES = tuple(
    field.source for field in SaleListOutput().fields.values() if not field.write_only
)


# ---------------------------------------------------------------------- returns


class ReturnLineInputSerializer(serializers.Serializer):
    sale_line_id = id_field(required=False)
    variant_id = id_field(required=False)
    qty = _qty(min_value=Decimal("0.001"))
    disposition = serializers.ChoiceField(
        choices=ReturnLine.Disposition.choices, default=ReturnLine.Disposition.RESTOCK
    )
    unit_price = _unit_price(required=False, min_value=Decimal("0"))

    def validate(self, attrs):
        if "sale_line_id" not in attrs and "variant_id" not in attrs:
            raise serializers.ValidationError("Give sale_line_id or variant_id.")
        return attrs

    @staticmethod
    def to_input(attrs) -> ReturnLineInput:
        return ReturnLineInput(**attrs)


class ReturnInput(ApprovalFields):
    sale_id = id_field(required=False)
    location_id = id_field(
        required=False, help_text="Back office, no receipt: where the goods come back."
    )
    lines = ReturnLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    refund_method = serializers.ChoiceField(
        choices=Payment.Method.choices, default=Payment.Method.CASH
    )


class ReturnFinalizeInput(ApprovalFields):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="The reason an approved refund is given, when the draft has none.",
    )


class ApprovalIssueInput(serializers.Serializer):
    location_id = id_field(
        required=False, help_text="The store the approval is for (default: any of yours)."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        default="",
        help_text="Used when the approved request gives no reason.",
    )


class ApprovalIssueOutput(serializers.Serializer):
    approval_id = serializers.IntegerField()
    token = serializers.CharField(
        help_text="Send as approval_token with the request to approve; single use, shown once."
    )
    expires_at = serializers.DateTimeField()
    location_id = serializers.IntegerField(allow_null=True)
    issued_by = serializers.CharField(help_text="Username of the approving manager.")
    reason = serializers.CharField(allow_blank=True)


class ReturnLineOutput(serializers.Serializer):
    return_line_id = serializers.IntegerField(source="pk")
    sale_line_id = serializers.IntegerField(allow_null=True)
    variant_id = serializers.IntegerField()
    qty = _qty()
    disposition = serializers.CharField()
    unit_price = _unit_price(allow_null=True)
    refund_gross = _money()
    refund_discount = _money()
    refund_net = _money()
    refund_tax = _money()
    refund_fee = _money()
    refund_total = _money()


class ReturnOutput(serializers.Serializer):
    return_id = serializers.IntegerField(source="pk")
    sale_id = serializers.IntegerField(allow_null=True)
    location_id = serializers.IntegerField()
    session_id = serializers.IntegerField(source="register_session_id", allow_null=True)
    status = serializers.ChoiceField(choices=Return.Status.choices)
    reason = serializers.CharField()
    approved_by_id = serializers.IntegerField(
        allow_null=True,
        help_text="Manager who approved a cashier's return (no receipt, refund over the limit).",
    )
    approved_by = serializers.CharField(
        source="approved_by.username", allow_null=True, default=None
    )
    refund_method = serializers.CharField()
    refund_subtotal = _money()
    refund_discount = _money()
    refund_tax = _money()
    refund_total = _money()
    created_at = serializers.DateTimeField()
    finalized_at = serializers.DateTimeField(allow_null=True)
    lines = ReturnLineOutput(many=True, source="line_list")
