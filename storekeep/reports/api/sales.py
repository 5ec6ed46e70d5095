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

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from storekeep.core.api import FORMAT_PARAM, READ_ERRORS, TenantListView, parse_query
from storekeep.core.csv import list_response
from storekeep.core.serializers import DecimalField
from storekeep.reports.selectors import SALES_GROUPS as GROUPS
from storekeep.reports.selectors import sales_summary

MAX_RANGE_DAYS = 3660
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
    gross_sales = DecimalField(**MONEY)
    discounts = DecimalField(**MONEY)
    tax = DecimalField(**MONEY)
    sales_total = DecimalField(**MONEY)
    voids_count = serializers.IntegerField()
    voids_total = DecimalField(**MONEY)
    returns_count = serializers.IntegerField()
    refunds = DecimalField(**MONEY)
    refund_tax = DecimalField(**MONEY)
    net_sales = DecimalField(**MONEY, help_text="sales_total − refunds")
    net_tax = DecimalField(**MONEY)
    net_sales_ex_tax = DecimalField(**MONEY)


class SalesSummaryTotals(serializers.Serializer):
    currency = serializers.CharField()
    sales_count = serializers.IntegerField()
    gross_sales = DecimalField(**MONEY)
    discounts = DecimalField(**MONEY)
    tax = DecimalField(**MONEY)
    sales_total = DecimalField(**MONEY)
    voids_count = serializers.IntegerField()
    voids_total = DecimalField(**MONEY)
    returns_count = serializers.IntegerField()
    refunds = DecimalField(**MONEY)
    refund_tax = DecimalField(**MONEY)
    net_sales = DecimalField(**MONEY)
    net_tax = DecimalField(**MONEY)
    net_sales_ex_tax = DecimalField(**MONEY)


class SalesSummaryPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    group_by = serializers.ChoiceField(choices=GROUPS)
    results = SalesSummaryRow(many=True)
    totals = SalesSummaryTotals()


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
