"""Stock codes of the Online Retail dataset: normalisation and classification.

Rule (decided from the data, see ``../shared/data/README.md`` quirks 8 and 9):

* A code is normalised by trimming it and upper-casing it. 112 codes exist in
  two case variants (``85123A`` / ``85123a``) that are the same article, and
  ``m`` is the manual line ``M``; after upper-casing the file has 3,958 codes.
* A normalised code is a **product** when it is 5 digits followed by zero or
  more letters (``22423``, ``85123A``, ``15056BL``). Every other code is a
  **non-product** (non-stock) item: postage ``POST``/``DOT``, carriage ``C2``,
  manual lines ``M``, discounts ``D``, samples ``S``, ``BANK CHARGES``,
  ``AMAZONFEE``, ``CRUK`` commission, ``PADS``, bad debt ``B``, gift vouchers
  ``GIFT_0001_*`` and the web-shop ``DCGS…`` codes. These carry money but no
  stock: counting them as products would inflate stock and revenue per product.
  ``DCGS…`` codes do name goods (party bags, dog collars) but they are the web
  shop's own catalogue, appear a handful of times, several without a
  description, and are never received or counted, so they are treated as
  non-stock like the rest (the data cannot keep their stock straight).
"""

from __future__ import annotations

import re

PRODUCT_CODE_RE = re.compile(r"^[0-9]{5}[A-Z]*$")

#: What the known non-product codes stand for (used in names and notes).
NON_PRODUCT_CODES: dict[str, str] = {
    "POST": "postage",
    "DOT": "dotcom postage",
    "C2": "carriage",
    "M": "manual line",
    "D": "discount",
    "S": "samples",
    "BANK CHARGES": "bank charges",
    "AMAZONFEE": "Amazon fee",
    "CRUK": "CRUK commission",
    "PADS": "cushion pads",
    "B": "bad-debt adjustment",
}


def normalise_code(raw: str) -> str:
    """Return the canonical form of a stock code: trimmed and upper-cased."""
    return raw.strip().upper()


def is_product_code(code: str) -> bool:
    """True when a *normalised* code names a stock-tracked product (5 digits + letters)."""
    return PRODUCT_CODE_RE.match(code) is not None


def non_product_kind(code: str) -> str | None:
    """What a non-product code stands for (``None`` for product codes)."""
    if is_product_code(code):
        return None
    if code in NON_PRODUCT_CODES:
        return NON_PRODUCT_CODES[code]
    if code.startswith("GIFT_"):
        return "gift voucher"
    if code.startswith("DCGS"):
        return "web-shop item"
    return "non-product line"
