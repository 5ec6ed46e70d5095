from .counts import CountSession, CountSessionLine
from .ledger import LedgerRefType, StockLedger, StockReason
from .lots import Lot
from .reservations import Reservation
from .stock import InventoryItem, LowStockAlert
from .transfers import InventoryTransfer, InventoryTransferLine

__all__ = [
    "CountSession",
    "CountSessionLine",
    "InventoryItem",
    "InventoryTransfer",
    "InventoryTransferLine",
    "LedgerRefType",
    "Lot",
    "LowStockAlert",
    "Reservation",
    "StockLedger",
    "StockReason",
]
