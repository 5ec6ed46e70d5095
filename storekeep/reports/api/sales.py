"""Sales summary report (SPEC §9): ``GET /api/v1/reports/sales_summary``.

Per day, location or register (``group_by``), over tenant-local dates
(``date_from``/``date_to``, inclusive), optionally one ``location_id`` or
``register_id``:

* ``sales_count``, ``gross_sales`` (Σ subtotal), ``discounts``, ``tax``,
  ``sales_total`` (Σ total: what customers paid) — COMPLETED sales, by the day
  they were completed;
* ``voids_count``, ``voids_total`` — VOIDED sales;
* ``returns_count``, ``refunds`` (Σ refund_total), ``refund_tax`` — FINALIZED
  returns, by the day they were finalized;
* ``net_sales`` = sales_total − refunds, ``net_tax`` = tax − refund_tax,
  ``net_sales_ex_tax`` = net_sales − net_tax.

Every amount is a sum of the persisted canonical amounts (`compute_receipt`),
so the report agrees with receipts and refunds to the cent. Two aggregate
queries whatever the page size; ``?format=csv`` exports every row. VIEWER+,
limited to the member's locations.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from storekeep.inventory.api._shared import FORMAT_PARAM, READ_ERRORS, TenantListView, parse_query
from storekeep.locations.models import Location
from storekeep.pos.models import Register, Return, Sale
from storekeep.pos.selectors import day_bounds, tenant_zone
from storekeep.reports.csv import list_response

ZERO = Decimal("0.00")
MAX_RANGE_DAYS = 3660
GROUPS = ("day", "location", "register")
MONEY = {"max_digits": 14, "decimal_places": 2}


class SalesSummaryQuery(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    location_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    register_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    group_by = serializers.ChoiceField(choices=GROUPS, required=False, default="day")

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end:
            if start > end:
                raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
            if (end - start).days > MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"date_to": [f"The range is limited to {MAX_RANGE_DAYS} days."]}
                )
        return attrs


class SalesSummaryRow(serializers.Serializer):
    date = serializers.DateField(required=False, allow_null=True)
    location_id = serializers.IntegerField(required=False, allow_null=True)
    location_code = serializers.CharField(required=False, allow_null=True)
    register_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="null: sales made outside a till"
    )
    register_code = serializers.CharField(required=False, allow_null=True)
    sales_count = serializers.IntegerField()
    gross_sales = serializers.DecimalField(**MONEY)
    discounts = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    sales_total = serializers.DecimalField(**MONEY)
    voids_count = serializers.IntegerField()
    voids_total = serializers.DecimalField(**MONEY)
    returns_count = serializers.IntegerField()
    refunds = serializers.DecimalField(**MONEY)
    refund_tax = serializers.DecimalField(**MONEY)
    net_sales = serializers.DecimalField(**MONEY, help_text="sales_total − refunds")
    net_tax = serializers.DecimalField(**MONEY)
    net_sales_ex_tax = serializers.DecimalField(**MONEY)


class SalesSummaryTotals(serializers.Serializer):
    currency = serializers.CharField()
    sales_count = serializers.IntegerField()
    gross_sales = serializers.DecimalField(**MONEY)
    discounts = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    sales_total = serializers.DecimalField(**MONEY)
    voids_count = serializers.IntegerField()
    voids_total = serializers.DecimalField(**MONEY)
    returns_count = serializers.IntegerField()
    refunds = serializers.DecimalField(**MONEY)
    refund_tax = serializers.DecimalField(**MONEY)
    net_sales = serializers.DecimalField(**MONEY)
    net_tax = serializers.DecimalField(**MONEY)
    net_sales_ex_tax = serializers.DecimalField(**MONEY)


class SalesSummaryPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    group_by = serializers.ChoiceField(choices=GROUPS)
    results = SalesSummaryRow(many=True)
    totals = SalesSummaryTotals()


AMOUNTS = ("gross_sales", "discounts", "tax", "sales_total", "voids_total", "refunds", "refund_tax")
COUNTS = ("sales_count", "voids_count", "returns_count")


def _empty() -> dict:
    return {**dict.fromkeys(AMOUNTS, ZERO), **dict.fromkeys(COUNTS, 0)}


def _finish(row: dict) -> dict:
    for key in AMOUNTS:
        row[key] = (row[key] or ZERO).quantize(ZERO)
    row["net_sales"] = row["sales_total"] - row["refunds"]
    row["net_tax"] = row["tax"] - row["refund_tax"]
    row["net_sales_ex_tax"] = row["net_sales"] - row["net_tax"]
    return row


def sales_summary(
    *, tenant, group_by="day", date_from=None, date_to=None, location_ids=None, register_id=None
) -> tuple[list[dict], dict]:
    """(rows, totals) of the sales summary; see the module docstring. Two aggregate queries
    (plus one for location/register codes)."""
    start, end = day_bounds(tenant, date_from, date_to)
    zone = tenant_zone(tenant)
    sales = Sale.objects.filter(tenant=tenant)
    returns = Return.objects.filter(tenant=tenant, status=Return.Status.FINALIZED)
    if start:
        sales, returns = (
            sales.filter(completed_at__gte=start),
            returns.filter(finalized_at__gte=start),
        )
    if end:
        sales, returns = sales.filter(completed_at__lt=end), returns.filter(finalized_at__lt=end)
    if location_ids is not None:
        sales = sales.filter(location_id__in=location_ids)
        returns = returns.filter(location_id__in=location_ids)
    if register_id:
        sales = sales.filter(register_session__register_id=register_id)
        returns = returns.filter(register_session__register_id=register_id)

    if group_by == "day":
        sale_key = {"key": TruncDate("completed_at", tzinfo=zone)}
        return_key = {"key": TruncDate("finalized_at", tzinfo=zone)}
    elif group_by == "location":
        sale_key = return_key = {"key": F("location_id")}
    else:
        sale_key = return_key = {"key": F("register_session__register_id")}

    completed = Q(status=Sale.Status.COMPLETED)
    voided = Q(status=Sale.Status.VOIDED)
    rows: dict = {}
    for agg in (
        sales.annotate(**sale_key)
        .values("key")
        .annotate(
            sales_count=Count("id", filter=completed),
            gross_sales=Sum("subtotal", filter=completed),
            discounts=Sum("discount_total", filter=completed),
            tax=Sum("tax_total", filter=completed),
            sales_total=Sum("total", filter=completed),
            voids_count=Count("id", filter=voided),
            voids_total=Sum("total", filter=voided),
        )
        .order_by()
    ):
        row = rows.setdefault(agg["key"], _empty())
        for field in (
            "sales_count",
            "gross_sales",
            "discounts",
            "tax",
            "sales_total",
            "voids_count",
            "voids_total",
        ):
            row[field] = agg[field] or row[field]
    for agg in (
        returns.annotate(**return_key)
        .values("key")
        .annotate(
            returns_count=Count("id"),
            refunds=Sum("refund_total"),
            refund_tax=Sum("refund_tax"),
        )
        .order_by()
    ):
        row = rows.setdefault(agg["key"], _empty())
        row["returns_count"] = agg["returns_count"]
        row["refunds"] = agg["refunds"] or ZERO
        row["refund_tax"] = agg["refund_tax"] or ZERO

    out = []
    if group_by == "day":
        for key in sorted(rows):
            out.append(_finish({"date": key, **rows[key]}))
    elif group_by == "location":
        codes = dict(
            Location.objects.filter(tenant=tenant, pk__in=list(rows)).values_list("pk", "code")
        )
        for key in sorted(rows, key=lambda k: (codes.get(k, ""), k)):
            out.append(_finish({"location_id": key, "location_code": codes.get(key), **rows[key]}))
    else:
        registers = {
            r["pk"]: r
            for r in Register.objects.filter(tenant=tenant, pk__in=[k for k in rows if k]).values(
                "pk", "code", "location_id", "location__code"
            )
        }
        for key in sorted(rows, key=lambda k: (k is None, k or 0)):
            info = registers.get(key, {})
            out.append(
                _finish(
                    {
                        "register_id": key,
                        "register_code": info.get("code"),
                        "location_id": info.get("location_id"),
                        "location_code": info.get("location__code"),
                        **rows[key],
                    }
                )
            )
    totals = _empty()
    for row in out:
        for key in (*AMOUNTS, *COUNTS):
            totals[key] += row[key]
    totals = _finish(totals)
    totals["currency"] = tenant.currency
    return out, totals


class SalesSummaryApi(TenantListView):
    """Sales, discounts, tax, voids, refunds and net sales by day, location or register."""

    def get_csv_columns(self, group_by):
        keys = {
            "day": ["date"],
            "location": ["location_id", "location_code"],
            "register": ["register_id", "register_code", "location_id", "location_code"],
        }
        fields = [
            f
            for f in SalesSummaryRow().fields
            if f not in ("date", "location_id", "location_code", "register_id", "register_code")
        ]
        return keys[group_by] + fields

    @extend_schema(
        operation_id="reports_sales_summary",
        tags=["reports"],
        parameters=[SalesSummaryQuery, FORMAT_PARAM],
        responses={200: SalesSummaryPage, **READ_ERRORS},
        summary="Sales summary by day, location or register (net of returns)",
    )
    def get(self, request):
        query = parse_query(SalesSummaryQuery, request)
        group_by = query["group_by"]
        self.csv_columns = self.get_csv_columns(group_by)
        rows, totals = sales_summary(
            tenant=self.tenant,
            group_by=group_by,
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
            location_ids=self.location_scope(query.get("location_id")),
            register_id=query.get("register_id"),
        )

        def to_rows(page):
            return [
                {k: v for k, v in row.items() if k in self.csv_columns}
                for row in SalesSummaryRow(page, many=True).data
            ]

        return list_response(
            self,
            rows,
            to_rows,
            filename=f"sales_summary_by_{group_by}.csv",
            extra={"group_by": group_by, "totals": SalesSummaryTotals(totals).data},
        )


urlpatterns = [
    path("sales_summary", SalesSummaryApi.as_view(), name="reports-sales-summary"),
]
