"""Importer of the UCI "Online Retail" dataset (SPEC §13, issue 4).

Pure parts (no database): :mod:`.reader` (streaming CSV + row validation),
:mod:`.codes` (stock-code rules), :mod:`.classify` (line kinds, adjustment
reasons), :mod:`.invoices` (time-ordered invoice grouping), :mod:`.plan`
(first pass: catalog, opening stock, expected totals).
"""
