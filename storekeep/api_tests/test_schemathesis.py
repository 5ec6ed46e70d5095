"""The API answers as its OpenAPI document says, on generated requests (issue 9, item 6).

Schemathesis reads the schema drf-spectacular generates and sends generated
requests — valid and invalid ones, and the schema's own examples — to every
``/api/v1/`` operation, in-process (Django's WSGI handler on the test
database). Every response must pass:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: the status is documented for the operation;
- ``content_type_conformance`` and ``response_schema_conformance``: the body is
  of a documented media type and matches the documented schema.

Each operation is one test (so ``pytest-xdist`` spreads them) with its own
:class:`Shop`: an owner's Bearer token, a cashier's open register session and
one object of every kind. Operations that accept a register token (the till's)
are called with it, the others with the owner's token. A route with an
``{id}`` is called twice per example: with the generated id (mostly unknown:
404) and with the shop's object of that route (the 200 bodies). Every call
runs in a savepoint rolled back after it, so examples do not see each other.

The number of examples per operation is bounded and generation deterministic
(``SEED``): a failure reproduces, and the whole run takes about a minute.
``STOREKEEP_SCHEMATHESIS_EXAMPLES=30`` searches deeper (a few minutes).
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storekeep.accounts.models import ApiToken
from storekeep.catalog.models import Category, UnitConversion
from storekeep.core.outbox import EVENT_TYPES
from storekeep.inventory.models import InventoryItem, LowStockAlert, StockLedger
from storekeep.inventory.services import reserve_stock
from storekeep.inventory.services.counts import count_create
from storekeep.inventory.services.transfers import TransferLineInput, transfer_create
from storekeep.pos.services import CartLine, Tender, checkout, return_process
from storekeep.pos.services.returns import ReturnLineInput
from storekeep.pos.tests.factories import VariantFactory, build_world, member, stock
from storekeep.purchasing.models import Vendor, VendorVariant
from storekeep.purchasing.services import OrderLineInput, purchase_order_create
from storekeep.tenants.models import Role
from storekeep.testing.factories import LocationFactory
from storekeep.webhooks.services import endpoint_create

#: Generated requests per operation (valid and invalid ones), plus the schema's examples.
#: ``STOREKEEP_SCHEMATHESIS_EXAMPLES`` / ``_SEED`` run a deeper or another search locally.
MAX_EXAMPLES = int(os.environ.get("STOREKEEP_SCHEMATHESIS_EXAMPLES", "4"))
SEED = int(os.environ.get("STOREKEEP_SCHEMATHESIS_SEED", "9"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "no-shrink": True,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "fuzzing": {"enabled": True},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)


def _wsgi_app():
    """Django's WSGI handler, keeping the test's database connection (as Django's test client
    does: ``close_old_connections`` would end the test transaction between requests)."""
    handler = WSGIHandler()

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return list(handler(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


DOCUMENT = SchemaGenerator().get_schema(request=None, public=True)


def _schema():
    api = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
    api.app = _wsgi_app()
    return api.include(path_regex=r"^/api/v1/")


schema = _schema()


def security_schemes(method: str, path: str) -> set[str]:
    """The names of the security schemes an operation accepts (``Bearer``, ``Register``)."""
    operation = DOCUMENT["paths"][path][method.lower()]
    return {name for requirement in operation.get("security", []) for name in requirement}


class Shop:
    """A store with a register session, stock, a sale, a return and one object of every kind."""

    def __init__(self):
        world = build_world(n_variants=2)
        tenant, store = world.tenant, world.store
        owner = member(tenant, role=Role.OWNER)
        self.bearer = f"Bearer {ApiToken.issue(membership=owner, ttl=timedelta(hours=1))[1]}"
        session, self.register = world.open_session()
        variant, other = world.variants
        warehouse = LocationFactory(tenant=tenant, code="WH", type="WAREHOUSE")
        low = VariantFactory(tenant=tenant, reorder_point=Decimal("5"))
        stock(tenant, store, low, "6")
        sold = checkout(  # at the till, so the register's token may void it
            tenant=tenant,
            lines=[CartLine(qty=Decimal("1"), variant_id=variant.pk)],
            tenders=[Tender(method="CASH", amount=Decimal("20.00"))],
            register_session=session,
        ).sale
        returned = checkout(
            tenant=tenant,
            lines=[CartLine(qty=Decimal("2"), variant_id=low.pk)],  # crosses the threshold
            tenders=[Tender(method="CARD", amount=Decimal("20.00"))],
            location=store,
            source="API",
        ).sale
        ret = return_process(
            tenant=tenant,
            sale_id=returned.pk,
            lines=[ReturnLineInput(Decimal("1"), variant_id=low.pk)],
            location=store,
            manager_approved=True,
            source="API",
        )
        vendor = Vendor.objects.create(tenant=tenant, name="Potters Ltd", code="POT")
        self.ids = {
            "/api/v1/categories": Category.objects.create(tenant=tenant, name="Mugs").pk,
            "/api/v1/tax-categories": world.vat.pk,
            "/api/v1/products": variant.product_id,
            "/api/v1/variants": variant.pk,
            "/api/v1/unit-conversions": UnitConversion.objects.create(
                tenant=tenant, variant=variant, unit="case", factor=Decimal("12")
            ).pk,
            "/api/v1/locations": store.pk,
            "/api/v1/purchasing/vendors": vendor.pk,
            "/api/v1/purchasing/vendor_variants": VendorVariant.objects.create(
                tenant=tenant, vendor=vendor, variant=other, unit_cost=Decimal("3.50")
            ).pk,
            "/api/v1/purchasing/orders": purchase_order_create(
                tenant=tenant,
                vendor_id=vendor.pk,
                location_id=store.pk,
                lines=[OrderLineInput(variant_id=other.pk, qty_ordered=Decimal("12"))],
            ).pk,
            "/api/v1/inventory/stock": InventoryItem.objects.get(variant=variant).pk,
            "/api/v1/inventory/transfers": transfer_create(
                tenant=tenant,
                from_location_id=store.pk,
                to_location_id=warehouse.pk,
                lines=[TransferLineInput(variant_id=other.pk, qty=Decimal("3"))],
            ).pk,
            "/api/v1/inventory/counts": count_create(tenant=tenant, location_id=store.pk).pk,
            "/api/v1/inventory/low-stock-alerts": LowStockAlert.objects.get(variant=low).pk,
            "/api/v1/inventory/ledger": StockLedger.objects.filter(variant=variant).first().pk,
            "/api/v1/inventory/reservations": reserve_stock(
                tenant=tenant, location_id=store.pk, variant_id=other.pk, qty=Decimal("2")
            ).pk,
            "/api/v1/staff": world.cashier.pk,
            "/api/v1/webhooks": endpoint_create(
                tenant=tenant,
                url="https://hooks.example.com/storekeep",
                events=list(EVENT_TYPES[:1]),
            )[0].pk,
            "/api/v1/pos/registers": world.register.pk,
            "/api/v1/pos/sessions": session.pk,
            "/api/v1/pos/sales": sold.pk,
            "/api/v1/pos/returns": ret.pk,
        }

    def authorization(self, case) -> str:
        """The register token where the operation accepts it, else the owner's Bearer token."""
        schemes = security_schemes(case.operation.method, case.operation.path)
        return self.register if "Register" in schemes else self.bearer

    def known_id(self, path: str) -> int | None:
        """The id of the shop's object on a ``…/{id}…`` route, else None."""
        collection, marker, _ = path.partition("/{id}")
        if not marker:
            return None
        assert collection in self.ids, f"add an object of {collection} to Shop.ids"
        return self.ids[collection]


@pytest.fixture
def shop(db):
    return Shop()


def call_and_validate(case):
    """Send ``case`` in a savepoint rolled back after it, then check the response."""
    with transaction.atomic():
        response = case.call()
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(
    deadline=None,
    # One shop per operation; each call runs in a savepoint rolled back after it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case, shop):
    case.headers = {**(case.headers or {}), "Authorization": shop.authorization(case)}
    call_and_validate(case)
    known = shop.known_id(case.operation.path)
    if known is not None:
        case.path_parameters = {**case.path_parameters, "id": known}
        call_and_validate(case)
