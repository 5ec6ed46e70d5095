"""Back-office sales pages (SPEC §5, §9, §11): the sales list (date range, store,
register, cashier, status; paging; CSV) and a sale's page (lines, tenders,
returns, the ledger rows it wrote). VIEWER+, limited to the member's stores."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render

from storekeep.core.csv import stream_csv
from storekeep.inventory.models import LedgerRefType, StockLedger
from storekeep.locations.models import Location
from storekeep.web.backoffice import BackOfficeView

from .. import selectors
from ..api.serializers import SaleListOutput
from ..models import Register, Return, ReturnLine, Sale

CSV_COLUMNS = list(SaleListOutput().fields)


class SalesFiltersMixin:
    def sale_filters(self) -> tuple[dict, dict]:
        shown = {
            "date_from": self.param_date("from"),
            "date_to": self.param_date("to"),
            "location": self.param_int("location"),
            "register": self.param_int("register"),
            "cashier": self.param_int("cashier"),
            "status": self.request.GET.get("status", ""),
            "search": self.request.GET.get("search", "").strip()[:64],
        }
        if shown["status"] not in Sale.Status.values:
            shown["status"] = ""
        filters = {
            "date_from": shown["date_from"],
            "date_to": shown["date_to"],
            "location_id": shown["location"],
            "register_id": shown["register"],
            "cashier_id": shown["cashier"],
            "status": shown["status"],
            "search": shown["search"],
        }
        if shown["location"]:
            self.check_location(shown["location"])
        return filters, shown

    def sales(self):
        filters, shown = self.sale_filters()
        queryset = selectors.sale_list(
            tenant=self.tenant, filters=filters, location_ids=self.location_scope()
        )
        return queryset, shown


class SaleListView(SalesFiltersMixin, BackOfficeView):
    def get(self, request):
        queryset, shown = self.sales()
        page = self.paginate(
            queryset.select_related("location", "cashier", "register_session__register")
        )
        locations = self.visible_locations(types=[Location.Type.STORE])
        registers = Register.objects.filter(tenant=self.tenant).select_related("location")
        scope = self.location_scope()
        if scope is not None:
            registers = registers.filter(location_id__in=scope)
        cashiers = (
            get_user_model().objects.filter(memberships__tenant=self.tenant).order_by("username")
        )
        return render(
            request,
            "pos/sale_list.html",
            self.page_context(
                page=page,
                rows=page.object_list,
                filters=shown,
                locations=locations,
                registers=list(registers.order_by("location__code", "code")),
                cashiers=list(cashiers),
                statuses=Sale.Status.choices,
            ),
        )


class SaleExportView(SalesFiltersMixin, BackOfficeView):
    """``/sales/export.csv``: the filtered sales list, every row, streamed."""

    def get(self, request):
        queryset, _ = self.sales()
        return stream_csv(
            queryset.iterator(chunk_size=2000),
            CSV_COLUMNS,
            "sales.csv",
            to_row=SaleListOutput().to_representation,
        )


class SaleDetailView(BackOfficeView):
    def get(self, request, pk):
        sale = selectors.sale_get(tenant=self.tenant, sale_id=pk)
        if not self.membership.can_access_location(sale.location_id):
            raise Http404("No such sale.")
        returns = list(
            Return.objects.filter(tenant=self.tenant, sale=sale)
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=ReturnLine.objects.select_related("variant").order_by("pk"),
                    to_attr="line_list",
                )
            )
            .order_by("created_at", "pk")
        )
        refs = [(LedgerRefType.SALE, sale.pk), (LedgerRefType.VOID, sale.pk)]
        refs += [(LedgerRefType.RECIPE_CONSUMPTION, sale.pk)]
        refs += [(LedgerRefType.RETURN, r.pk) for r in returns]
        condition = Q()
        for ref_type, ref_id in refs:
            condition |= Q(ref_type=ref_type, ref_id=str(ref_id))
        ledger = list(
            StockLedger.objects.filter(tenant=self.tenant, location_id=sale.location_id)
            .filter(condition)
            .select_related("variant", "location")
            .order_by("id")
        )
        cashier = None
        if sale.cashier_id:
            cashier = get_user_model().objects.filter(pk=sale.cashier_id).first()
        return render(
            request,
            "pos/sale_detail.html",
            self.page_context(
                sale=sale,
                location=Location.objects.filter(pk=sale.location_id).first(),
                register=sale.register_session.register if sale.register_session_id else None,
                cashier=cashier,
                lines=list(sale.lines.all()),
                payments=list(sale.payments.all()),
                returns=returns,
                ledger=ledger,
            ),
        )


class ReturnRedirectView(BackOfficeView):
    """A return's ledger reference opens the sale it belongs to."""

    def get(self, request, pk):
        ret = (
            Return.objects.filter(tenant=self.tenant, pk=pk).only("sale_id", "location_id").first()
        )
        if ret is None or not self.membership.can_access_location(ret.location_id):
            raise Http404("No such return.")
        if ret.sale_id is None:
            messages.info(request, f"Return #{ret.pk} was made without a receipt.")
            return redirect("sales")
        return redirect("sale", pk=ret.sale_id)
