"""The movements report reads only its range and gives the figures of the whole-history sum
(SPEC §9): opening balance = Σ qty_delta before the range, per variant over the items in scope."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext

from storekeep.inventory.models import StockLedger
from storekeep.inventory.services import ReceiptLine, StockLine, receive_stock, record_sale
from storekeep.reports.selectors import MOVEMENT_COLUMNS, movement_report
from storekeep.testing import factories

from .test_inventory_reports import MOVEMENTS, at
from .test_inventory_reports import history as history  # noqa: F401  (the fixture)

D = Decimal
pytestmark = pytest.mark.django_db
QTY_FIELD = DecimalField(max_digits=16, decimal_places=3)


def whole_history_report(*, tenant, date_from, date_to, location_ids=None, variant_id=None):
    """The report as computed over every ledger row before the range's end (the reference)."""
    start, end = tenant.day_bounds(date_from, date_to)
    ledger = StockLedger.objects.filter(tenant=tenant, created_at__lt=end)
    if location_ids is not None:
        ledger = ledger.filter(location_id__in=location_ids)
    if variant_id:
        ledger = ledger.filter(variant_id=variant_id)

    def qty_sum(condition):
        return Coalesce(
            Sum(Case(When(condition, then=F("qty_delta")), default=Value(D(0)))),
            Value(D(0)),
            output_field=QTY_FIELD,
        )

    in_range = Q(created_at__gte=start)
    sums = {n: qty_sum(in_range & Q(ref_type__in=t)) for n, t in MOVEMENT_COLUMNS.items()}
    rows = (
        ledger.values("variant_id", "variant__sku")
        .annotate(
            moves=Count("pk", filter=in_range),
            opening_balance=qty_sum(Q(created_at__lt=start)),
            net_change=qty_sum(in_range),
            **sums,
        )
        .filter(moves__gt=0)
        .order_by("variant__sku", "variant_id")
    )
    return [{k: v for k, v in row.items() if k not in ("variant__sku", "moves")} for row in rows]


def report(**kwargs):
    rows = list(movement_report(**kwargs))
    keys = ["variant_id", "opening_balance", "net_change", *MOVEMENT_COLUMNS]
    return [{k: row[k] for k in keys} for row in rows]


@pytest.fixture
def busy(tenant, store, warehouse, history):  # noqa: F811
    """``history`` plus variants stocked at both locations that sell on some days only."""
    others = [factories.VariantFactory(tenant=tenant, sku=f"OTHER-{i}") for i in range(4)]
    for location in (store, warehouse):
        receive_stock(
            tenant=tenant,
            location_id=location.pk,
            lines=[ReceiptLine(v.pk, D("40")) for v in others],
            occurred_at=at(2),
        )
    for day in (3, 5, 6, 9):
        record_sale(
            tenant=tenant,
            location_id=store.pk,
            lines=[StockLine(v.pk, D(str(i + 1))) for i, v in enumerate(others) if i != day % 4],
            ref_id=f"S{day}",
            occurred_at=at(day),
        )
    return others


RANGES = [
    (date(2020, 1, 1), date(2020, 1, 1)),
    (date(2020, 1, 3), date(2020, 1, 5)),
    (date(2020, 1, 5), date(2020, 1, 7)),
    (date(2020, 1, 6), date(2020, 1, 6)),
    (date(2020, 1, 8), date(2020, 1, 31)),
    (date(2019, 12, 1), date(2030, 1, 1)),
]


@pytest.mark.parametrize("date_from,date_to", RANGES)
def test_range_only_report_equals_the_whole_history_sums(
    tenant, store, warehouse, busy, date_from, date_to
):
    for scope in (None, [store.pk], [warehouse.pk], [store.pk, warehouse.pk]):
        args = {"tenant": tenant, "date_from": date_from, "date_to": date_to}
        expected = whole_history_report(**args, location_ids=scope)
        assert report(**args, location_ids=scope) == expected, scope
        one = busy[1].pk
        assert report(**args, location_ids=scope, filters={"variant_id": one}) == (
            whole_history_report(**args, location_ids=scope, variant_id=one)
        )


def test_a_page_and_its_count_are_one_query_plus_the_pages_openings(manager_client, busy):
    params = {"date_from": "2020-01-01", "date_to": "2020-01-31", "page_size": 2}
    manager_client.get(MOVEMENTS, params)
    with CaptureQueriesContext(connection) as queries:
        first = manager_client.get(MOVEMENTS, params).json()
    ledger = [q["sql"] for q in queries.captured_queries if "inventory_stockledger" in q["sql"]]
    assert len(ledger) == 2  # the page with its count (a window), the page's opening balances
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    last = manager_client.get(MOVEMENTS, {**params, "page": 3}).json()
    assert last["count"] == 5 and len(last["results"]) == 1 and last["next"] is None
    skus = [
        r["sku"]
        for page in (1, 2, 3)
        for r in manager_client.get(MOVEMENTS, {**params, "page": page}).json()["results"]
    ]
    assert skus == sorted(skus) and len(set(skus)) == 5
    beyond = manager_client.get(MOVEMENTS, {**params, "page": 9})
    assert beyond.status_code == 404
