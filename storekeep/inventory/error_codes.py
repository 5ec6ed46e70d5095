"""Error codes of inventory (rendered as ``code`` in ``{"code","message","details"}``).

Codes shared with the rest of the project (``insufficient_stock``,
``version_conflict``, ``inactive``…) come from
:class:`storekeep.core.errors.ErrorCode`. One code has one HTTP status
wherever it is raised (SPEC §10).
"""

from enum import StrEnum


class InventoryErrorCode(StrEnum):
    NOT_STOCKED = "not_stocked"  # 400: the variant does not track inventory
    SAME_LOCATION = "same_location"  # 400: a transfer to the location it leaves
    COUNT_ALREADY_ACTIVE = "count_already_active"  # 409: a full-store count is already open
    VARIANT_NOT_IN_TRANSFER = "variant_not_in_transfer"  # 422: receiving a variant not sent
    RECEIVE_EXCEEDS_SENT = "receive_exceeds_sent"  # 409: more received than sent
