"""Back-office reorder list (SPEC §6, §11): what to order (suggested quantity,
vendor), filters, paging, streamed CSV of exactly the filtered rows, and one
button that drafts a purchase order per vendor and location (MANAGER+)."""

from __future__ import annotations

from itertools import islice

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from storekeep.catalog.models import Category
from storekeep.core.csv import stream_csv
from storekeep.core.errors import DomainError
from storekeep.web.backoffice import BackOfficeView, describe_error

from ..api import ReorderSuggestionSerializer, suggestion_rows
from ..models import Vendor
from ..selectors import reorder_suggestion_list
from ..services import purchase_orders_from_suggestions

CSV_COLUMNS = list(ReorderSuggestionSerializer().fields)
CHUNK = 2000


class ReorderFiltersMixin:
    def reorder_filters(self, data) -> tuple[dict, dict]:
        def number(name):
            value = (data.get(name) or "").strip()
            return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None

        shown = {
            "location": number("location"),
            "vendor": number("vendor"),
            "category": number("category"),
            "search": (data.get("search") or "").strip()[:100],
        }
        filters: dict = {}
        scope = self.location_scope()
        if shown["location"]:
            self.check_location(shown["location"])
            filters["location_id"] = shown["location"]
        if scope is not None:
            filters["location_ids"] = scope
        for key, name in (("vendor", "vendor_id"), ("category", "category"), ("search", "search")):
            if shown[key]:
                filters[name] = shown[key]
        return filters, shown


class ReorderListView(ReorderFiltersMixin, BackOfficeView):
    def get(self, request):
        filters, shown = self.reorder_filters(request.GET)
        queryset = reorder_suggestion_list(tenant=self.tenant, filters=filters).order_by(
            "location__code", "variant__sku", "pk"
        )
        page = self.paginate(queryset)
        rows = suggestion_rows(self.tenant, list(page.object_list))
        return render(
            request,
            "purchasing/reorder_list.html",
            self.page_context(
                page=page,
                rows=rows,
                filters=shown,
                locations=self.visible_locations(),
                vendors=list(
                    Vendor.objects.filter(tenant=self.tenant, is_active=True).order_by("name")
                ),
                categories=list(Category.objects.filter(tenant=self.tenant).order_by("name")),
            ),
        )

    def post(self, request):
        """Draft one purchase order per vendor and location from the filtered suggestions."""
        filters, _ = self.reorder_filters(request.POST)
        try:
            result = purchase_orders_from_suggestions(
                tenant=self.tenant, filters=filters, actor=request.user
            )
        except DomainError as exc:
            messages.error(request, describe_error(exc))
            return redirect(f"{reverse('reorder')}?{request.POST.urlencode()}")
        orders = result["orders"]
        text = f"Drafted {len(orders)} purchase order(s). Review and submit them below."
        if result["skipped"]:
            text += f" {len(result['skipped'])} product(s) have no vendor and were skipped."
        messages.success(request, text)
        return redirect(f"{reverse('purchasing')}?status=DRAFT")


class ReorderExportView(ReorderFiltersMixin, BackOfficeView):
    """``/reorder/export.csv``: the page's filtered suggestions, every row, streamed by chunks."""

    def get(self, request):
        filters, _ = self.reorder_filters(request.GET)
        queryset = reorder_suggestion_list(tenant=self.tenant, filters=filters).order_by(
            "location__code", "variant__sku", "pk"
        )
        tenant = self.tenant

        def rows():
            items = queryset.iterator(chunk_size=CHUNK)
            while chunk := list(islice(items, CHUNK)):
                yield from suggestion_rows(tenant, chunk)

        return stream_csv(rows(), CSV_COLUMNS, "reorder.csv", to_row=dict)
