"""Error codes of purchasing (rendered as ``code`` in ``{"code","message","details"}``)."""

from enum import StrEnum


class PurchasingErrorCode(StrEnum):
    PO_NOT_EDITABLE = "po_not_editable"  # 409: only DRAFT orders can be edited
    OVER_RECEIPT = "over_receipt"  # 409: more than ordered − received
    VARIANT_NOT_ON_ORDER = "variant_not_on_order"  # 422: receiving a variant the PO does not list
    NO_SUGGESTIONS = "no_suggestions"  # 422: nothing to order from the reorder suggestions
