"""Hooks of the catalog that higher apps fill (see :mod:`storekeep.core.hooks`)."""

from storekeep.core.hooks import Hook

#: Called before a variant's ``unit``, ``track_inventory`` or ``track_lots``
#: changes, with ``variant`` (the saved row) and ``fields`` (the names that
#: change). Inventory refuses while the variant has stock (SPEC §4).
variant_stocking_changing = Hook("catalog.variant_stocking_changing")
