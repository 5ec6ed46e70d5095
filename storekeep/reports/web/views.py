"""The owner's dashboard (SPEC §9, §11): sales by day for the last 30 days or a
chosen range, per store; top products; items nearest to zero with their
thresholds; transfers in transit; recent Z reports with their cash variance.
Every figure links to the list behind it. VIEWER+, limited to the member's stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import F, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from storekeep.inventory.models import InventoryTransfer
from storekeep.inventory.selectors import stock_level_list, transfer_list
from storekeep.locations.models import Location
from storekeep.pos.selectors import closed_session_list, sale_list
from storekeep.reports.charts import bar_chart
from storekeep.reports.selectors import inventory_overview, sales_summary, top_product_list
from storekeep.web.backoffice import BackOfficeView

ZERO = Decimal("0")
MAX_DAYS = 366
TOP = 10
IN_TRANSIT = [InventoryTransfer.Status.IN_TRANSIT, InventoryTransfer.Status.PARTIAL_RECEIVED]


class DashboardView(BackOfficeView):
    def get(self, request):
        zone = self.tenant.zone
        today = timezone.localdate(timezone=zone)
        date_to = self.param_date("to") or today
        date_from = self.param_date("from") or date_to - dt.timedelta(days=29)
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        date_from = max(date_from, date_to - dt.timedelta(days=MAX_DAYS - 1))
        location = self.param_int("location")
        if location:
            self.check_location(location)
        scope = [location] if location else self.location_scope()

        rows, totals = sales_summary(
            tenant=self.tenant,
            group_by="day",
            date_from=date_from,
            date_to=date_to,
            location_ids=scope,
        )
        by_day = {row["date"]: row for row in rows}
        days = []
        day = date_from
        while day <= date_to:
            row = by_day.get(day)
            days.append(
                {
                    "day": day,
                    "total": row["sales_total"] if row else ZERO,
                    "count": row["sales_count"] if row else 0,
                    "refunds": row["refunds"] if row else ZERO,
                }
            )
            day += dt.timedelta(days=1)
        count = totals["sales_count"]
        average = (totals["sales_total"] / count).quantize(Decimal("0.01")) if count else ZERO

        def sales_url(first, last) -> str:
            params = {"from": first.isoformat(), "to": last.isoformat(), "status": "COMPLETED"}
            if location:
                params["location"] = location
            return f"{reverse('sales')}?{urlencode(params)}"

        for entry in days:
            entry["url"] = sales_url(entry["day"], entry["day"])
        chart = bar_chart(
            [(f"{d['day']:%d %b}", d["total"], d["url"]) for d in days],
            title=f"Sales by day, {date_from:%d %b %Y} to {date_to:%d %b %Y}",
            value_label=self.tenant.currency,
        )

        low = stock_level_list(tenant=self.tenant, location_ids=scope).filter(is_low_stock=True)
        nearest_zero = list(low.order_by("available_qty", "variant__sku", "location_id")[:TOP])
        overview = inventory_overview(tenant=self.tenant, location_ids=scope)
        transfers = (
            transfer_list(tenant=self.tenant, location_ids=scope)
            .filter(status__in=IN_TRANSIT)
            .prefetch_related(None)
        )
        in_transit = list(
            transfers.select_related("from_location", "to_location")
            .annotate(units=Sum(F("lines__qty_sent") - F("lines__qty_received")))
            .order_by("sent_at", "id")[:TOP]
        )
        z_reports = list(closed_session_list(tenant=self.tenant, location_ids=scope)[:TOP])
        for session in z_reports:
            params = {"register": session.register_id}
            if session.closed_at:
                params["from"] = timezone.localtime(session.opened_at, zone).date().isoformat()
                params["to"] = timezone.localtime(session.closed_at, zone).date().isoformat()
            session.url = f"{reverse('sales')}?{urlencode(params)}"

        latest = None
        if not count:
            latest = (
                sale_list(tenant=self.tenant, location_ids=scope)
                .values_list("completed_at", flat=True)
                .first()
            )
            latest = timezone.localtime(latest, zone).date() if latest else None

        return render(
            request,
            "reports/dashboard.html",
            self.page_context(
                date_from=date_from,
                date_to=date_to,
                location=location,
                stores=self.visible_locations(types=[Location.Type.STORE]),
                days=days,
                totals={
                    "total": totals["sales_total"],
                    "count": count,
                    "average": average,
                    "refunds": totals["refunds"],
                    "net": totals["net_sales"],
                },
                sales_url=sales_url(date_from, date_to),
                chart=chart,
                top_products=top_product_list(
                    tenant=self.tenant, date_from=date_from, date_to=date_to, location_ids=scope
                ),
                nearest_zero=nearest_zero,
                low_count=overview["low_stock_count"],
                in_transit=in_transit,
                in_transit_count=overview["transfers_in_transit"],
                z_reports=z_reports,
                latest=latest,
                latest_from=latest - dt.timedelta(days=29) if latest else None,
            ),
        )
