"""core.hooks.Hook: receivers run in order, once each, and one that raises refuses."""

import pytest

from storekeep.core.errors import Conflict
from storekeep.core.hooks import Hook


def test_receivers_run_in_registration_order_once_each_with_the_keyword_arguments():
    hook = Hook("test.hook")
    calls = []

    def first(**kwargs):
        calls.append(("first", kwargs))

    def second(**kwargs):
        calls.append(("second", kwargs))

    hook.register(first)
    hook.register(second)
    hook.register(first)  # a second registration is a no-op
    hook(tenant="acme", changes={"x": 1})
    assert calls == [
        ("first", {"tenant": "acme", "changes": {"x": 1}}),
        ("second", {"tenant": "acme", "changes": {"x": 1}}),
    ]


def test_a_receiver_that_raises_refuses_and_stops_the_others():
    hook = Hook("test.refusing")
    calls = []

    @hook.register
    def refuse(**kwargs):
        raise Conflict("no")

    @hook.register
    def later(**kwargs):
        calls.append(kwargs)

    with pytest.raises(Conflict):
        hook()
    assert calls == []


def test_the_inventory_receivers_are_registered():
    from storekeep.catalog.hooks import variant_stocking_changing
    from storekeep.inventory.hooks import (
        follow_negative_stock_setting,
        refuse_stocking_change_while_stocked,
    )
    from storekeep.tenants.services import settings_changing

    assert follow_negative_stock_setting in settings_changing._receivers
    assert refuse_stocking_change_while_stocked in variant_stocking_changing._receivers
