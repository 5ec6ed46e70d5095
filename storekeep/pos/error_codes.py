"""Error codes of the point of sale (SPEC §5, §10).

Codes shared with the rest of the project (``insufficient_stock``,
``invalid_state``, ``permission_denied``…) come from
:class:`storekeep.core.errors.ErrorCode`; these are the POS-specific ones.
"""

from enum import StrEnum


class PosErrorCode(StrEnum):
    INVALID_DISCOUNT = "invalid_discount"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    INVALID_TAX_RATE = "invalid_tax_rate"
    INVALID_CURRENCY = "invalid_currency"
    INVALID_AMOUNT = "invalid_amount"
    EMPTY_CART = "empty_cart"
    UNKNOWN_VARIANT = "unknown_variant"
    VARIANT_INACTIVE = "variant_inactive"
    PRICE_OVERRIDE_FORBIDDEN = "price_override_forbidden"
    INSUFFICIENT_PAYMENT = "insufficient_payment"
    INVALID_TENDER = "invalid_tender"
    LOCATION_NOT_A_STORE = "location_not_a_store"
    SESSION_ALREADY_OPEN = "session_already_open"
    SESSION_CLOSED = "session_closed"
    SALE_NOT_VOIDABLE = "sale_not_voidable"
    RETURN_EXCEEDS_SOLD = "return_exceeds_sold"
    RETURN_NOT_DRAFT = "return_not_draft"
    RECEIPT_REQUIRED = "receipt_required"
    #: 403: a CASHIER's sale (checkout) outside an open register session (issue 12 item 4).
    REGISTER_SESSION_REQUIRED = "register_session_required"
    APPROVAL_REQUIRED = "approval_required"
    APPROVAL_INVALID = "approval_invalid"
    REASON_REQUIRED = "reason_required"
