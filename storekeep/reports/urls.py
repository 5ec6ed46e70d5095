"""``/api/v1/reports/…`` routes (sales and inventory reports), and the inventory KPIs that
``config/urls.py`` mounts under ``/api/v1/inventory/`` (they count purchase orders too)."""

from storekeep.reports.api import inventory, sales

urlpatterns = [*sales.urlpatterns, *inventory.urlpatterns]
inventory_urlpatterns = inventory.inventory_urlpatterns
