"""Reports: sales (storekeep.reports.api.sales) and inventory (storekeep.reports.api.inventory)."""

from importlib import import_module

urlpatterns: list = []
for _module in ("storekeep.reports.api.sales", "storekeep.reports.api.inventory"):
    try:
        urlpatterns += import_module(_module).urlpatterns
    except ModuleNotFoundError as exc:  # the module is not written yet
        if exc.name != _module:
            raise
