"""Importer of the UCI "Online Retail" dataset (SPEC §13).

Pure parts (no database): :mod:`.reader` (streaming CSV + row validation),
:mod:`.codes` (stock-code rules), :mod:`.classify` (line kinds, adjustment
reasons), :mod:`.invoices` (time-ordered invoice grouping), :mod:`.plan`
(first pass: catalog, opening stock, expected totals).

Database parts: :mod:`.replay` (the run, day by day) with its named parts
:mod:`.forecast` (running stock), :mod:`.sales` (sale queue, checkout
batches) and :mod:`.matching` (returns matched to earlier sales);
:mod:`.replenish` (the replay with weekly purchase orders).
"""


def import_online_retail(**kwargs):
    """Import the file into a tenant; see :func:`.replay.import_online_retail` (needs Django)."""
    from .replay import import_online_retail as run

    return run(**kwargs)


def load_demo(**kwargs):
    """Import the committed slice into the demo tenant; see :func:`.replay.load_demo`."""
    from .replay import load_demo as run

    return run(**kwargs)
