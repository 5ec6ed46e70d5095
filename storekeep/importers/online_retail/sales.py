"""Sale queue: sale invoices checked out together, in order, as one ``checkout_batch``.

Each invoice is its own checkout (own receipt number, totals, ledger rows and
time); a batch only shares the queries (SPEC §5). A return or an adjustment
of a variant on a queued sale writes the queue first, so every item's ledger
stays in time order and a return finds the lines it matches; one of other
variants does not have to wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from storekeep.catalog.models import Variant
from storekeep.core.errors import DomainError
from storekeep.pos.models import RegisterSession, Sale
from storekeep.pos.services import CartInput, CartLine, CheckoutResult, checkout_batch

from .forecast import Needs
from .invoices import Invoice
from .times import aware


@dataclass
class QueuedSale:
    invoice: Invoice
    needs: Needs  # the product units it takes out (already off the forecast)


class SaleQueue:
    """The sale invoices waiting for the next checkout batch."""

    def __init__(self, *, tenant, actor, variants: dict[str, Variant]):
        self.tenant = tenant
        self.actor = actor
        self.variants = variants
        self.queued: list[QueuedSale] = []
        #: Every variant on a queued sale (product or not).
        self.variant_ids: set[int] = set()

    def __len__(self) -> int:
        return len(self.queued)

    def add(self, invoice: Invoice, needs: Needs) -> None:
        self.queued.append(QueuedSale(invoice, needs))
        self.variant_ids.update(self.variants[line.code].pk for line in invoice.lines)

    def touches(self, invoice: Invoice) -> bool:
        """Whether ``invoice`` moves or returns a variant of a queued sale."""
        return any(self.variants[line.code].pk in self.variant_ids for line in invoice.lines)

    def flush(
        self, session: RegisterSession
    ) -> list[tuple[QueuedSale, CheckoutResult | DomainError]]:
        """Check out the queued invoices in ``session`` (``source=IMPORT``); empties the queue.

        Returns each queued sale with its result or the error that refused it
        (``checkout_batch``: exactly what sequential checkouts would give).
        """
        if not self.queued:
            return []
        queued, self.queued, self.variant_ids = self.queued, [], set()
        results = checkout_batch(
            tenant=self.tenant,
            carts=[self._cart(q.invoice) for q in queued],
            register_session=session,
            actor=self.actor,
            source=Sale.Source.IMPORT,
        )
        return list(zip(queued, results, strict=True))

    def _cart(self, invoice: Invoice) -> CartInput:
        """The invoice as a till cart: its lines at their own unit price, one OTHER payment."""
        return CartInput(
            lines=[
                CartLine(
                    qty=line.quantity, variant=self.variants[line.code], unit_price=line.unit_price
                )
                for line in invoice.lines
            ],
            external_ref=invoice.number,
            customer_ref=invoice.customer or "",
            completed_at=aware(invoice.occurred_at),
        )
