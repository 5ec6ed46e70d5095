"""Point-of-sale services (SPEC §5). Writes only; reads live in `storekeep.pos.selectors`."""

from .checkout import CartInput, CheckoutResult, Tender, checkout, checkout_batch, quote
from .pricing import CartLine, PricedCart, price_cart
from .registers import register_create, register_store, register_update
from .returns import ReturnLineInput, return_create, return_finalize, return_process
from .sales import checkout_source, sale_record_by_sku, sale_void
from .sessions import (
    cash_movement_record,
    register_session_close,
    register_session_open,
    register_session_token_reissue,
)

__all__ = [
    "CartInput",
    "cash_movement_record",
    "CartLine",
    "CheckoutResult",
    "PricedCart",
    "ReturnLineInput",
    "Tender",
    "checkout",
    "checkout_batch",
    "checkout_source",
    "price_cart",
    "quote",
    "register_create",
    "register_session_close",
    "register_session_open",
    "register_session_token_reissue",
    "register_store",
    "register_update",
    "return_create",
    "return_finalize",
    "return_process",
    "sale_record_by_sku",
    "sale_void",
]
