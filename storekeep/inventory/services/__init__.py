"""The stock engine: the one write path for on hand and reserved (SPEC §3.1, §4).

Every change of ``InventoryItem.on_hand`` or ``reserved`` goes through these
functions; each is one transaction and returns the ledger rows it wrote.
"""

from storekeep.core.numbers import clean_cost, clean_qty

from ..rules import resolve_threshold
from ._engine import StockMove, apply_moves, lock_items
from .reservations import (
    confirm_reservation,
    expire_reservation,
    release_expired_reservations,
    release_reservation,
    reserve_stock,
)
from .stock import (
    AdjustmentLine,
    ReceiptLine,
    SaleStock,
    StockLine,
    adjust_stock,
    receive_stock,
    record_return,
    record_sale,
    record_sales,
    record_void,
    write_off,
)

__all__ = [
    "AdjustmentLine",
    "ReceiptLine",
    "StockLine",
    "StockMove",
    "adjust_stock",
    "apply_moves",
    "clean_cost",
    "clean_qty",
    "confirm_reservation",
    "expire_reservation",
    "lock_items",
    "receive_stock",
    "record_return",
    "record_sale",
    "record_sales",
    "record_void",
    "SaleStock",
    "release_expired_reservations",
    "release_reservation",
    "reserve_stock",
    "resolve_threshold",
    "write_off",
]
