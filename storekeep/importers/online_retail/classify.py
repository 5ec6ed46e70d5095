"""Classification of invoices and lines, and adjustment reasons read from notes.

Rules (``../shared/data/README.md`` quirks 1-6):

* ``A`` invoices (``A563185``… "Adjust bad debt") are accounting entries, not
  trade: every line is :attr:`LineKind.BAD_DEBT`, skipped and counted.
* ``C`` invoices are cancellations: every line is :attr:`LineKind.CANCELLATION`
  (quantity < 0; a positive quantity there is reported as an invalid row).
* An ordinary invoice **without a customer whose lines all have price 0** is a
  warehouse stock adjustment: negative lines are :attr:`LineKind.WRITE_OFF`,
  positive lines :attr:`LineKind.FOUND`; the description is the warehouse note.
  (Decided per invoice, not per line: 23 customer-less *sales* invoices, e.g.
  537534, carry some price-0 lines next to priced ones; those are free items
  that left with the goods, so they stay sale lines at price 0 rather than
  becoming "found" stock. Either way they add 0 to the sales total.)
* Every other invoice is a sale: lines with quantity > 0 are
  :attr:`LineKind.SALE` (price 0 = free item; 40 such lines have a customer);
  a negative quantity there is reported as an invalid row (none in the file).
"""

from __future__ import annotations

import re
from enum import StrEnum


class InvoiceKind(StrEnum):
    SALE = "sale"
    CANCELLATION = "cancellation"
    ADJUSTMENT = "adjustment"
    BAD_DEBT = "bad_debt"


class LineKind(StrEnum):
    SALE = "sale"
    CANCELLATION = "cancellation"
    WRITE_OFF = "write_off"
    FOUND = "found"
    BAD_DEBT = "bad_debt"


# Adjustment reasons (SPEC §2): damage, theft, spoilage, correction, initial, expiry, other.
# Ordered rules: the first that matches the lower-cased note wins, so
# "wet pallet-thrown away" is damage (wet) and "printing smudges/thrown away"
# is spoilage. Notes that only say something is unaccounted for ("?",
# "check", "missing", "lost", "wrongly coded", "sold as set on dotcom") are
# bookkeeping corrections; samples/display/showroom and empty notes are other.
_REASON_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("damage", re.compile(r"damag|dagam|smash|crush|broken|breakage|crack|faulty|wet|water")),
    (
        "spoilage",
        re.compile(r"thrown away|throw away|mould|rust|unsaleable|destroyed|can't sell|smudge"),
    ),
    (
        "correction",
        re.compile(
            r"\?|check|count|missing|lost|\bmia\b|can't find|wrong|mix|incorrect|adjust|barcode|"
            r"code|sold|dotcom|amazon|ebay|credit|reverse|mystery|rcvd|historic|oops|test|found|"
            r"put aside|[0-9]{5}"
        ),
    ),
)


def adjustment_reason(note: str) -> str:
    """Map a warehouse note (the description of an adjustment line) to a reason.

    Returns one of ``damage``, ``spoilage``, ``correction`` or ``other``
    (SPEC §2 reason values). Examples: ``damaged``/``damages``/``wet pallet``
    → damage; ``thrown away``/``mouldy`` → spoilage; ``?``/``check``/
    ``missing``/``wrongly coded 23343``/``found`` → correction;
    ``samples``, ``display``, empty → other.
    """
    text = note.strip().lower()
    for reason, pattern in _REASON_RULES:
        if pattern.search(text):
            return reason
    return "other"
