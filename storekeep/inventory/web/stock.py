"""Back-office stock pages (SPEC §9, §11): ``/stock/`` (KPIs, stock by location,
filters, sort, paging, CSV), ``/stock/<variant>/`` (per-location quantities,
reorder settings, ledger, on-hand chart), ``/stock/receive/``, ``/stock/adjust/``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.db.models import DecimalField, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from storekeep.catalog.models import Category, Variant
from storekeep.catalog.units import UnitConverter
from storekeep.core.csv import stream_csv
from storekeep.core.errors import DomainError, ErrorCode
from storekeep.reports.charts import step_chart
from storekeep.reports.selectors import inventory_overview
from storekeep.tenants.models import Role
from storekeep.web.backoffice import BackOfficeView, FormErrors, describe_error, parse_decimal

from ..api.serializers import LEDGER_COLUMNS, STOCK_COLUMNS, LedgerRowSerializer, StockRowSerializer
from ..models import InventoryItem, LedgerRefType, StockLedger, StockReason
from ..rules import stock_value
from ..selectors import ledger_list, stock_level_list
from ..services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    receive_stock,
    write_off,
)
from ..services.reorder import stock_item_reorder_update
from .lines import attach_service_errors, line_count, line_qty, lines_message, read_lines

ZERO = Decimal("0")
VALUE_FIELD = DecimalField(max_digits=28, decimal_places=7)
MONEY_STEP = Decimal("0.01")
COST_STEP = Decimal("0.0001")

STOCK_SORTS = {
    "sku": ("variant__sku", "location__code"),
    "name": ("variant__product__name", "variant__sku", "location__code"),
    "location": ("location__code", "variant__sku"),
    "on_hand": ("on_hand", "variant__sku", "location__code"),
    "reserved": ("reserved", "variant__sku", "location__code"),
    "available": ("available_qty", "variant__sku", "location__code"),
    "threshold": ("threshold", "variant__sku", "location__code"),
}

#: Where a ledger row's reference leads (SPEC §2 ref types).
REF_LINKS = {
    LedgerRefType.SALE: "sale",
    LedgerRefType.VOID: "sale",
    LedgerRefType.RECIPE_CONSUMPTION: "sale",
    LedgerRefType.RETURN: "sale-return",
    LedgerRefType.TRANSFER_OUT: "transfer",
    LedgerRefType.TRANSFER_IN: "transfer",
    LedgerRefType.COUNT_RECONCILE: "count",
    LedgerRefType.PURCHASE_ORDER_RECEIPT: "purchase-order",
}
WRITE_OFF_REASONS = (
    StockReason.DAMAGE,
    StockReason.SPOILAGE,
    StockReason.EXPIRY,
    StockReason.THEFT,
    StockReason.OTHER,
)


REF_LABELS = {
    "sale": "Sale",
    "sale-return": "Return",
    "transfer": "Transfer",
    "count": "Count",
    "purchase-order": "PO",
}


def ref_link(row) -> tuple[str, str]:
    """(url, text) of the document behind a ledger row, or ("", "")."""
    name = REF_LINKS.get(row.ref_type)
    if not name or not str(row.ref_id).isdigit():
        return "", ""
    return reverse(name, args=[int(row.ref_id)]), f"{REF_LABELS[name]} #{row.ref_id}"


class StockFiltersMixin:
    """The stock list's filters, shared by the page and its CSV export."""

    def stock_filters(self) -> tuple[dict, dict]:
        """(selector filters, the values to show back in the form)."""
        shown = {
            "location": self.param_int("location"),
            "category": self.param_int("category"),
            "search": self.request.GET.get("search", "").strip()[:100],
            "low": self.request.GET.get("low") == "1",
        }
        filters: dict = {}
        scope = self.location_scope()
        if shown["location"]:
            self.check_location(shown["location"])
            filters["location_id"] = shown["location"]
        if scope is not None:
            filters["location_ids"] = scope
        if shown["category"]:
            filters["category"] = shown["category"]
        if shown["search"]:
            filters["search"] = shown["search"]
        if shown["low"]:
            filters["low_stock"] = True
        return filters, shown

    def stock_rows(self):
        filters, shown = self.stock_filters()
        sort, order = self.sort(STOCK_SORTS, "sku")
        return stock_level_list(tenant=self.tenant, filters=filters).order_by(*order), shown, sort


class StockListView(StockFiltersMixin, BackOfficeView):
    def get(self, request):
        rows, shown, sort = self.stock_rows()
        page = self.paginate(rows)
        scope = [shown["location"]] if shown["location"] else self.location_scope()
        context = self.page_context(
            page=page,
            rows=page.object_list,
            filters=shown,
            sort=sort,
            kpis=inventory_overview(tenant=self.tenant, location_ids=scope),
            locations=self.visible_locations(),
            categories=list(Category.objects.filter(tenant=self.tenant).order_by("name")),
            columns=[
                ("sku", "SKU", ""),
                ("name", "Product", ""),
                ("location", "Location", ""),
                ("on_hand", "On hand", "num"),
                ("reserved", "Reserved", "num"),
                ("available", "Available", "num"),
                ("threshold", "Reorder point", "num"),
            ],
        )
        return render(request, "inventory/stock_list.html", context)


class StockExportView(StockFiltersMixin, BackOfficeView):
    """``/stock/export.csv``: exactly the filtered, sorted rows of ``/stock/``, streamed."""

    def get(self, request):
        rows, _, _ = self.stock_rows()
        return stream_csv(
            rows.iterator(chunk_size=2000),
            STOCK_COLUMNS,
            "stock.csv",
            to_row=StockRowSerializer().to_representation,
        )


def _range(view, default_days: int = 90) -> tuple[dt.date, dt.date]:
    today = timezone.localdate(timezone=view.tenant.zone)
    date_to = view.param_date("to") or today
    date_from = view.param_date("from") or date_to - dt.timedelta(days=default_days)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, date_to


class StockItemView(BackOfficeView):
    """One variant: its stock at each location, reorder settings, ledger and chart."""

    def variant(self, pk) -> Variant:
        variant = (
            Variant.objects.filter(tenant=self.tenant, pk=pk).select_related("product").first()
        )
        if variant is None:
            raise Http404("No such product.")
        return variant

    def get(self, request, pk, errors: FormErrors | None = None, status: int = 200):
        variant = self.variant(pk)
        scope = self.location_scope()
        filters = {"variant_id": variant.pk}
        if scope is not None:
            filters["location_ids"] = scope
        items = list(
            stock_level_list(tenant=self.tenant, filters=filters).order_by("location__code")
        )
        for item in items:
            item.value = stock_value(item.on_hand, item.avg_unit_cost)
        location_ids = [item.location_id for item in items]
        zone = self.tenant.zone
        date_from, date_to = _range(self)
        start = dt.datetime.combine(date_from, dt.time.min, zone)
        end = min(
            dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, zone),
            timezone.now(),
        )
        ledger_filters = {
            "variant_id": variant.pk,
            "ref_type": request.GET.get("ref_type") or "",
            "location_id": self.param_int("ledger_location"),
        }
        if ledger_filters["location_id"]:
            self.check_location(ledger_filters["location_id"])
        if ledger_filters["ref_type"] not in LedgerRefType.values:
            ledger_filters["ref_type"] = ""
        ledger = (
            ledger_list(
                tenant=self.tenant,
                filters={
                    **ledger_filters,
                    "date_from": request.GET.get("ledger_from") or "",
                    "date_to": request.GET.get("ledger_to") or "",
                },
                location_ids=location_ids,
            )
            .select_related("actor")
            .order_by("-created_at", "-id")
        )
        page = self.paginate(ledger)
        for row in page.object_list:
            row.link, row.link_text = ref_link(row)
        totals = {
            "on_hand": sum((i.on_hand for i in items), ZERO),
            "reserved": sum((i.reserved for i in items), ZERO),
            "available": sum((i.available_qty for i in items), ZERO),
            "value": sum((i.value for i in items), ZERO),
        }
        context = self.page_context(
            variant=variant,
            items=items,
            totals=totals,
            page=page,
            rows=page.object_list,
            ref_types=LedgerRefType.choices,
            ledger_filters=ledger_filters,
            ledger_from=request.GET.get("ledger_from", ""),
            ledger_to=request.GET.get("ledger_to", ""),
            date_from=date_from,
            date_to=date_to,
            chart=self.chart(variant, items, start, end),
            errors=errors,
        )
        return render(request, "inventory/stock_item.html", context, status=status)

    def chart(self, variant, items, start, end):
        """On hand per location over [start, end) from the ledger's ``balance_after`` (2 queries)."""
        if not items:
            return ""
        location_ids = [item.location_id for item in items]
        rows = (
            StockLedger.objects.filter(
                tenant=self.tenant,
                location_id__in=location_ids,
                variant_id=variant.pk,
                created_at__gte=start,
                created_at__lt=end,
            )
            .order_by("created_at", "id")
            .values_list("location_id", "created_at", "qty_delta", "balance_after")
        )
        after_end = dict(
            StockLedger.objects.filter(
                tenant=self.tenant,
                location_id__in=location_ids,
                variant_id=variant.pk,
                created_at__gte=end,
            )
            .values("location_id")
            .annotate(total=Sum("qty_delta"))
            .values_list("location_id", "total")
        )
        points = defaultdict(list)
        for location_id, moment, delta, balance in rows:
            if not points[location_id]:
                points[location_id].append((start, balance - delta))
            points[location_id].append((moment, balance))
        series = []
        for item in items:
            line = points.get(item.location_id)
            if not line:
                at_end = item.on_hand - (after_end.get(item.location_id) or ZERO)
                line = [(start, at_end)]
            series.append((item.location.code, line))
        return step_chart(
            series, start=start, end=end, title=f"On hand of {variant.sku} by location"
        )

    def post(self, request, pk):
        """Reorder point / reorder qty of one location's item (MANAGER+)."""
        variant = self.variant(pk)
        item = InventoryItem.objects.filter(
            tenant=self.tenant, variant=variant, pk=self.post_int("item_id")
        ).first()
        if item is None:
            raise Http404("No such stock item.")
        self.check_location(item.location_id)
        field_errors: dict = {}
        point = parse_decimal(
            request.POST.get("reorder_point"),
            field="reorder_point",
            errors=field_errors,
            required=False,
        )
        qty = parse_decimal(
            request.POST.get("reorder_qty"),
            field="reorder_qty",
            errors=field_errors,
            required=False,
        )
        if field_errors:
            return self.get(
                request,
                pk,
                errors=FormErrors("Check the reorder settings.", {"item": item.pk, **field_errors}),
                status=400,
            )
        try:
            stock_item_reorder_update(
                tenant=self.tenant,
                item_id=item.pk,
                reorder_point=point,
                reorder_qty=qty,
                actor=request.user,
            )
        except DomainError as exc:
            errors = FormErrors.from_error(exc)
            errors.fields = {"item": item.pk, **errors.fields}
            return self.get(request, pk, errors=errors, status=exc.status_code)
        messages.success(request, f"Reorder settings saved for {item.location.code}.")
        return redirect(request.get_full_path())

    def post_int(self, name):
        value = self.request.POST.get(name, "")
        return int(value) if value.isdigit() else None


class ReceiveView(BackOfficeView):
    """Receive goods into a location: lines by SKU/barcode, unit cost, lot and expiry, unit."""

    read_role = Role.MANAGER  # a form only a manager can submit

    line_names = ("qty", "unit", "unit_cost", "lot_code", "expiry_date")

    def context(self, **extra):
        return self.page_context(
            locations=self.visible_locations(),
            units=_unit_choices(),
            **extra,
        )

    def get(self, request):
        count = line_count(request)
        prefill = request.GET.get("sku", "")
        lines = [
            {"index": i, "code": prefill if i == 0 else "", "values": {}, "errors": {}}
            for i in range(count)
        ]
        return render(
            request,
            "inventory/receive.html",
            self.context(
                lines=lines, selected_location=self.param_int("location"), reference="", note=""
            ),
        )

    def post(self, request):
        location_id = self.post_location()
        count = line_count(request)
        lines = read_lines(request.POST, self.line_names, tenant=self.tenant, count=count)
        receipt: list[ReceiptLine] = []
        used = [line for line in lines if not line.blank]
        variants = {line.variant.pk: line.variant for line in used if line.variant}
        converter = UnitConverter(
            tenant=self.tenant,
            variants=variants,
            units=[line.values["unit"] for line in used],
        )
        for line in used:
            qty = line_qty(line)
            cost = parse_decimal(
                line.values["unit_cost"], field="unit_cost", errors=line.errors, required=False
            )
            expiry = _date(line, "expiry_date")
            if line.variant is None or qty is None or line.errors:
                continue
            unit = line.values["unit"] or None
            try:
                stock_qty = converter.convert(line.variant.pk, qty, unit)
                factor = converter.factor(line.variant.pk, unit)
            except DomainError as exc:
                line.errors["unit"] = exc.message
                continue
            if line.variant.track_lots and not line.values["lot_code"]:
                line.errors["lot_code"] = "This product is tracked by lot: give the lot code."
                continue
            receipt.append(
                ReceiptLine(
                    variant_id=line.variant.pk,
                    qty=stock_qty,
                    unit_cost=(cost / factor).quantize(COST_STEP) if cost is not None else None,
                    lot_code=line.values["lot_code"] or None,
                    expiry_date=expiry,
                )
            )
        message = lines_message(used)
        if not message and location_id is None:
            message = "Check the highlighted lines."
        if not message:
            try:
                rows = receive_stock(
                    tenant=self.tenant,
                    location_id=location_id,
                    lines=receipt,
                    actor=request.user,
                    ref_id=request.POST.get("reference", "").strip()[:64],
                    note=request.POST.get("note", "").strip()[:255],
                )
            except DomainError as exc:
                message = describe_error(exc)
                attach_service_errors(used, exc.details)
            else:
                messages.success(
                    request, f"Received {len(rows)} line(s) into the location. Stock is updated."
                )
                if len(variants) == 1:
                    return redirect("stock-item", pk=next(iter(variants)))
                return redirect(f"{reverse('stock')}?location={location_id}")
        return render(
            request,
            "inventory/receive.html",
            self.context(
                lines=[vars(line) for line in lines],
                selected_location=location_id,
                reference=request.POST.get("reference", ""),
                note=request.POST.get("note", ""),
                errors=FormErrors(message=message),
            ),
            status=400,
        )

    def post_location(self) -> int | None:
        value = self.request.POST.get("location_id", "")
        if not value.isdigit():
            return None
        location_id = self.check_location(value)
        if not any(loc.pk == location_id for loc in self.visible_locations()):
            return None
        return location_id


class AdjustView(BackOfficeView):
    """Adjust one item: a signed change, a counted quantity (version-checked) or a write-off."""

    read_role = Role.MANAGER  # a form only a manager can submit

    def load(self, variant_id, location_id):
        variant = Variant.objects.filter(tenant=self.tenant, pk=variant_id).select_related(
            "product"
        )
        variant = variant.first()
        if variant is None:
            raise Http404("No such product.")
        self.check_location(location_id)
        item = (
            stock_level_list(
                tenant=self.tenant, filters={"variant_id": variant.pk, "location_id": location_id}
            )
            .select_related("location")
            .first()
        )
        location = item.location if item else None
        if location is None:
            location = next(
                (loc for loc in self.visible_locations() if loc.pk == int(location_id)), None
            )
            if location is None:
                raise Http404("No such location.")
        return variant, location, item

    def get(self, request, variant_id, location_id):
        variant, location, item = self.load(variant_id, location_id)
        return render(
            request,
            "inventory/adjust.html",
            self.page_context(
                variant=variant,
                location=location,
                item=item,
                version=item.version if item else 0,
                mode=request.GET.get("mode", "count"),
                reasons=StockReason.choices,
                write_off_reasons=[(r.value, r.label) for r in WRITE_OFF_REASONS],
                form={},
            ),
        )

    def post(self, request, variant_id, location_id):
        variant, location, item = self.load(variant_id, location_id)
        form = {key: request.POST.get(key, "").strip() for key in request.POST}
        mode = form.get("mode", "count")
        reason = form.get("reason", "")
        note = form.get("note", "")[:255]
        field_errors: dict = {}
        try:
            if mode == "count":
                counted = parse_decimal(form.get("on_hand"), field="on_hand", errors=field_errors)
                version = form.get("version", "")
                if field_errors:
                    raise _FieldErrors
                adjust_stock(
                    tenant=self.tenant,
                    location_id=location.pk,
                    lines=[
                        AdjustmentLine(
                            variant_id=variant.pk,
                            on_hand=counted,
                            expected_version=int(version) if version.isdigit() else None,
                        )
                    ],
                    reason=reason or StockReason.CORRECTION,
                    note=note,
                    actor=request.user,
                )
            elif mode == "delta":
                delta = parse_decimal(form.get("delta"), field="delta", errors=field_errors)
                if not reason:
                    field_errors["reason"] = "Choose a reason."
                if field_errors:
                    raise _FieldErrors
                adjust_stock(
                    tenant=self.tenant,
                    location_id=location.pk,
                    lines=[AdjustmentLine(variant_id=variant.pk, delta=delta)],
                    reason=reason,
                    note=note,
                    actor=request.user,
                )
            elif mode == "write_off":
                qty = parse_decimal(form.get("qty"), field="qty", errors=field_errors)
                if not reason:
                    field_errors["reason"] = "Choose why the stock is written off."
                if field_errors:
                    raise _FieldErrors
                write_off(
                    tenant=self.tenant,
                    location_id=location.pk,
                    lines=[StockLine(variant_id=variant.pk, qty=qty)],
                    reason=reason,
                    note=note,
                    actor=request.user,
                )
            else:
                raise Http404("Unknown adjustment.")
        except _FieldErrors:
            errors, status = FormErrors("Check the highlighted fields.", field_errors), 400
        except DomainError as exc:
            errors, status = FormErrors.from_error(exc), exc.status_code
        else:
            messages.success(request, f"Stock of {variant.sku} at {location.code} updated.")
            return redirect("stock-item", pk=variant.pk)
        _, _, fresh = self.load(variant.pk, location.pk)
        return render(
            request,
            "inventory/adjust.html",
            self.page_context(
                variant=variant,
                location=location,
                item=fresh,
                version=fresh.version if fresh else 0,
                mode=mode,
                reasons=StockReason.choices,
                write_off_reasons=[(r.value, r.label) for r in WRITE_OFF_REASONS],
                form=form,
                errors=errors,
                stale=errors.code == ErrorCode.VERSION_CONFLICT,
            ),
            status=status,
        )


class _FieldErrors(Exception):
    pass


def _unit_choices():
    return [u for u, _ in Variant.Unit.choices] + ["case", "pack", "box"]


def _date(line, name):
    value = line.values.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        line.errors[name] = "Use a date like 2026-12-31."
        return None


class LedgerExportView(BackOfficeView):
    """``/stock/<variant>/ledger.csv``: the item page's ledger with its filters, streamed."""

    def get(self, request, pk):
        variant = Variant.objects.filter(tenant=self.tenant, pk=pk).first()
        if variant is None:
            raise Http404("No such product.")
        location = self.param_int("ledger_location")
        if location:
            self.check_location(location)
        ref_type = request.GET.get("ref_type") or ""
        queryset = ledger_list(
            tenant=self.tenant,
            filters={
                "variant_id": variant.pk,
                "location_id": location,
                "ref_type": ref_type if ref_type in LedgerRefType.values else "",
                "date_from": request.GET.get("ledger_from") or "",
                "date_to": request.GET.get("ledger_to") or "",
            },
            location_ids=self.location_scope(),
        ).order_by("-created_at", "-id")
        return stream_csv(
            queryset.iterator(chunk_size=2000),
            LEDGER_COLUMNS,
            f"ledger-{variant.sku}.csv",
            to_row=LedgerRowSerializer().to_representation,
        )
