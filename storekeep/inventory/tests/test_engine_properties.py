"""Hypothesis drives random sequences of engine operations against a model of the expected stock
(SPEC §3.2, §3.3, §4, §7, §8) and checks the invariants after every step.

Two locations × three variants (one lot-tracked, with expired, fresh and undated lots). After each
step: on hand, reserved and version equal the model; ledger parity, running balances, Σ lots = on
hand, never negative, 0 ≤ reserved ≤ on hand, reserved = Σ pending reservations; a failed
operation changes nothing (snapshot compare). Each example runs in a savepoint rolled back at
its end.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from storekeep.core.errors import InsufficientStock, InvalidState
from storekeep.inventory.models import InventoryItem, Lot, Reservation
from storekeep.inventory.services import (
    AdjustmentLine,
    ReceiptLine,
    StockLine,
    adjust_stock,
    confirm_reservation,
    receive_stock,
    record_sale,
    release_expired_reservations,
    release_reservation,
    reserve_stock,
    write_off,
)
from storekeep.testing import factories

from .helpers import assert_invariants, snapshot

D = Decimal
ZERO = D("0")
QTYS = st.sampled_from([D("0.5"), D("1"), D("2"), D("3"), D("5"), D("7.25")])
EXPIRIES = st.sampled_from([None, -2, 3, 10])  # days from today; -2 is already expired


@dataclass
class ItemModel:
    fresh: Decimal = ZERO  # in unexpired (or undated) lots; all of on hand for untracked variants
    expired: Decimal = ZERO
    reserved: Decimal = ZERO
    version: int = 0

    @property
    def on_hand(self):
        return self.fresh + self.expired


@dataclass
class ReservationModel:
    key: tuple
    qty: Decimal
    status: str = "PENDING"
    overdue: bool = False


class EngineMachine(RuleBasedStateMachine):
    ctx: dict = {}
    reservations = Bundle("reservations")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        c = self.ctx
        self.tenant, self.locations, self.variants, self.lot_variant = (
            c["tenant"],
            c["locations"],
            c["variants"],
            c["lot_variant"],
        )
        self.today = timezone.localdate()
        self.items = {(loc.pk, v.pk): ItemModel() for loc in self.locations for v in self.variants}
        self.res: dict[int, ReservationModel] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- the model ----------------------------------------------------------------------
    def _is_lot(self, key):
        return key[1] == self.lot_variant.pk

    def _feasible(self, key, kind, qty, reserved):
        m = self.items[key]
        if kind == "in":
            return True
        if kind == "correct":  # adjustments and waste may also take expired lots (expired first)
            return qty <= m.on_hand - reserved
        sellable = m.fresh  # sales and reservations: never expired lots
        return qty <= sellable - reserved

    def _apply(self, key, kind, qty, expired_lot=False):
        m = self.items[key]
        if kind == "in":
            if expired_lot:
                m.expired += qty
            else:
                m.fresh += qty
        elif kind == "sale":
            m.fresh -= qty
        elif kind == "correct":
            take = min(m.expired, qty)
            m.expired -= take
            m.fresh -= qty - take
        elif kind == "reserve":
            m.reserved += qty

    def _run(self, lines, call):
        """lines: [(key, kind, qty, expired_lot)] with distinct keys. Runs ``call`` and checks it
        succeeded exactly when the model says so, including the expiry of overdue reservations."""
        before = snapshot(self.tenant)
        reserved = {key: self.items[key].reserved for key, *_ in lines}
        short = [
            key for key, kind, qty, _ in lines if not self._feasible(key, kind, qty, reserved[key])
        ]
        freed = []
        if short:
            freed = [
                pk
                for pk, r in self.res.items()
                if r.status == "PENDING" and r.overdue and r.key in short
            ]
            for pk in freed:
                reserved[self.res[pk].key] -= self.res[pk].qty
            short = [
                key
                for key, kind, qty, _ in lines
                if not self._feasible(key, kind, qty, reserved[key])
            ]
        try:
            result = call()
        except InsufficientStock as exc:
            assert short, f"engine refused a feasible operation: {exc.details}"
            assert {(s["location_id"], s["variant_id"]) for s in exc.details["lines"]} == set(short)
            assert snapshot(self.tenant) == before
            return None
        assert not short, f"engine accepted an infeasible operation on {short}"
        for pk in freed:
            self.res[pk].status = "EXPIRED"
            self.items[self.res[pk].key].reserved -= self.res[pk].qty
        for key, kind, qty, expired_lot in lines:
            self._apply(key, kind, qty, expired_lot)
            self.items[key].version += 1
        return result

    def _key(self, loc_index, var_index):
        return (self.locations[loc_index].pk, self.variants[var_index].pk)

    # --- rules --------------------------------------------------------------------------
    @rule(
        loc=st.integers(0, 1),
        picks=st.lists(
            st.tuples(st.integers(0, 2), QTYS, EXPIRIES),
            min_size=1,
            max_size=3,
            unique_by=lambda t: t[0],
        ),
    )
    def receive(self, loc, picks):
        lines, model_lines = [], []
        for var_index, qty, days in picks:
            variant = self.variants[var_index]
            extra = {}
            expired = False
            if variant.pk == self.lot_variant.pk:
                expiry = None if days is None else self.today + timedelta(days=days)
                extra = {"lot_code": f"L{days}", "expiry_date": expiry}
                expired = days is not None and days < 0
            lines.append(ReceiptLine(variant_id=variant.pk, qty=qty, unit_cost=D("2.5"), **extra))
            model_lines.append((self._key(loc, var_index), "in", qty, expired))
        self._run(
            model_lines,
            lambda: receive_stock(
                tenant=self.tenant, location_id=self.locations[loc].pk, lines=lines
            ),
        )

    @rule(
        loc=st.integers(0, 1),
        picks=st.lists(
            st.tuples(st.integers(0, 2), QTYS), min_size=1, max_size=3, unique_by=lambda t: t[0]
        ),
    )
    def sell(self, loc, picks):
        lines = [StockLine(variant_id=self.variants[v].pk, qty=q) for v, q in picks]
        self._run(
            [(self._key(loc, v), "sale", q, False) for v, q in picks],
            lambda: record_sale(
                tenant=self.tenant, location_id=self.locations[loc].pk, ref_id="S", lines=lines
            ),
        )

    @rule(loc=st.integers(0, 1), var=st.integers(0, 2), qty=QTYS, up=st.booleans())
    def adjust_delta(self, loc, var, qty, up):
        key = self._key(loc, var)
        self._run(
            [(key, "in" if up else "correct", qty, False)],
            lambda: adjust_stock(
                tenant=self.tenant,
                location_id=key[0],
                reason="correction",
                lines=[AdjustmentLine(variant_id=key[1], delta=qty if up else -qty)],
            ),
        )

    @rule(
        loc=st.integers(0, 1),
        var=st.integers(0, 2),
        value=st.sampled_from([D("0"), D("1"), D("4"), D("12.5")]),
    )
    def adjust_absolute(self, loc, var, value):
        key = self._key(loc, var)
        m = self.items[key]
        version = m.version
        call = lambda: adjust_stock(  # noqa: E731
            tenant=self.tenant,
            location_id=key[0],
            reason="correction",
            lines=[AdjustmentLine(variant_id=key[1], on_hand=value, expected_version=version)],
        )
        diff = value - m.on_hand
        if diff:
            self._run([(key, "in" if diff > 0 else "correct", abs(diff), False)], call)
        else:
            assert call() == []
            m.version += 1

    @rule(loc=st.integers(0, 1), var=st.integers(0, 2), qty=QTYS)
    def waste(self, loc, var, qty):
        key = self._key(loc, var)
        self._run(
            [(key, "correct", qty, False)],
            lambda: write_off(
                tenant=self.tenant,
                location_id=key[0],
                reason="damage",
                lines=[StockLine(variant_id=key[1], qty=qty)],
            ),
        )

    @rule(target=reservations, loc=st.integers(0, 1), var=st.integers(0, 2), qty=QTYS)
    def reserve(self, loc, var, qty):
        key = self._key(loc, var)
        made = self._run(
            [(key, "reserve", qty, False)],
            lambda: reserve_stock(
                tenant=self.tenant, location_id=key[0], variant_id=key[1], qty=qty
            ),
        )
        if made is None:
            return multiple()
        self.res[made.pk] = ReservationModel(key=key, qty=qty)
        return made.pk

    @rule(pk=reservations)
    def confirm(self, pk):
        r = self.res[pk]
        m = self.items[r.key]
        before = snapshot(self.tenant)
        if r.status == "CONFIRMED":
            assert len(confirm_reservation(tenant=self.tenant, reservation_id=pk)) >= 1
        elif r.status != "PENDING" or r.overdue:
            with pytest.raises(InvalidState):
                confirm_reservation(tenant=self.tenant, reservation_id=pk)
        else:
            rows = confirm_reservation(tenant=self.tenant, reservation_id=pk)
            assert sum(row.qty_delta for row in rows) == -r.qty
            assert all(
                row.ref_type == "RESERVATION_CONFIRM" and row.ref_id == str(pk) for row in rows
            )
            r.status = "CONFIRMED"
            m.reserved -= r.qty
            m.fresh -= r.qty
            m.version += 1
            return
        assert snapshot(self.tenant) == before

    @rule(pk=reservations)
    def release(self, pk):
        r = self.res[pk]
        if r.status == "CONFIRMED":
            with pytest.raises(InvalidState):
                release_reservation(tenant=self.tenant, reservation_id=pk)
            return
        release_reservation(tenant=self.tenant, reservation_id=pk)
        if r.status == "PENDING":
            r.status = "RELEASED"
            self.items[r.key].reserved -= r.qty
            self.items[r.key].version += 1

    @rule(pk=reservations)
    def make_overdue(self, pk):
        Reservation.objects.filter(pk=pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        self.res[pk].overdue = True

    @rule()
    def expire_job(self):
        due = [pk for pk, r in self.res.items() if r.status == "PENDING" and r.overdue]
        assert release_expired_reservations(tenant=self.tenant) == len(due)
        for pk in due:
            r = self.res[pk]
            r.status = "EXPIRED"
            self.items[r.key].reserved -= r.qty
            self.items[r.key].version += 1

    # --- checks after every step ----------------------------------------------------------
    @invariant()
    def matches_the_model_and_the_invariants(self):
        assert_invariants(self.tenant)
        stored = {
            (i.location_id, i.variant_id): i
            for i in InventoryItem.objects.filter(tenant=self.tenant)
        }
        for key, m in self.items.items():
            got = stored.get(key)
            actual = (got.on_hand, got.reserved, got.version) if got else (ZERO, ZERO, 0)
            assert actual == (m.on_hand, m.reserved, m.version), (key, actual, m)
            if self._is_lot(key):
                fresh = expired = ZERO
                for expiry, qty in Lot.objects.filter(
                    tenant=self.tenant, location_id=key[0], variant_id=key[1]
                ).values_list("expiry_date", "qty"):
                    if expiry is not None and expiry < self.today:
                        expired += qty
                    else:
                        fresh += qty
                assert (fresh, expired) == (m.fresh, m.expired), (key, fresh, expired, m)
        statuses = dict(Reservation.objects.filter(tenant=self.tenant).values_list("pk", "status"))
        assert statuses == {pk: r.status for pk, r in self.res.items()}


@pytest.mark.django_db
def test_random_engine_operations_keep_every_invariant(tenant, store, warehouse):
    plain = [factories.VariantFactory(tenant=tenant, cost=D("2"), unit="kg") for _ in range(2)]
    lot_variant = factories.VariantFactory(tenant=tenant, track_lots=True, unit="kg")
    EngineMachine.ctx = {
        "tenant": tenant,
        "locations": [store, warehouse],
        "variants": plain + [lot_variant],
        "lot_variant": lot_variant,
    }
    run_state_machine_as_test(
        EngineMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
