"""Tenant isolation (SPEC §3.6): walks EVERY ``/api/v1/`` route.

* Every route with an id in its URL (``{pk}``, ``{id}``…) is called, with each
  HTTP method it serves, with the id of ANOTHER tenant's object: the answer must
  be 404 ``not_found`` (never 403, never data) and the object must be unchanged.
  The same with an id that exists nowhere.
* Every list route is read by an owner of our tenant while the other tenant has
  data carrying the marker ``ZZRIVALZZ``: the marker never appears (JSON and
  ``?format=csv``), also when filtering by the other tenant's ids.
* Every write operation of the OpenAPI document is sent a body whose ``*_id``
  fields all name the other tenant's objects: the answer is a 4xx, the other
  tenant's stock and objects are unchanged, and nothing of it is echoed. (The
  body holds the required fields and every ``*_id`` field, with plausible
  values; a 4xx for another reason passes too, so this is a net, not a proof:
  each app's own tests prove its references one by one.) A new ``*_id`` body
  field fails loudly until ``BODY_REFERENCES`` says which object it names.

Routes are discovered from the URL resolver, so routes added later are
included automatically. **When you add a route with an id**, this test fails
with "no factory for …": add an entry to ``FACTORIES`` below, keyed by the
route up to its last URL parameter (``"inventory/transfers/{pk}"``), whose
value builds the other tenant's object from the ``Rival`` world (return a
model instance for a single ``pk``-like parameter, or a dict of URL kwargs).
If your view needs another credential than the tenant owner's bearer token,
add a ``CLIENTS`` entry for the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from storekeep.accounts.models import hash_token
from storekeep.catalog.models import UnitConversion
from storekeep.inventory.models import (
    CountSession,
    InventoryItem,
    InventoryTransfer,
    InventoryTransferLine,
    LowStockAlert,
    Reservation,
    StockLedger,
)
from storekeep.inventory.services import ReceiptLine, receive_stock
from storekeep.locations.models import Location
from storekeep.tenants.models import Role
from storekeep.testing import factories

MARKER = "ZZRIVALZZ"
API_PREFIX = "api/v1/"
WRITE_METHODS = ("post", "put", "patch", "delete")
ALL_METHODS = ("get", *WRITE_METHODS)
#: Routes with no object to isolate (they answer about the caller itself).
NOT_OBJECT_ROUTES = {"auth/token", "auth/me"}


# --- route discovery -------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # normalised, e.g. "inventory/transfers/{pk}/send"
    kwargs: tuple[str, ...]
    methods: tuple[str, ...]

    @property
    def key(self) -> str:
        """The route up to its last URL parameter: the FACTORIES key."""
        return self.route[: self.route.rindex("}") + 1] if self.kwargs else self.route

    def url(self, values: dict) -> str:
        path = self.route
        for name in self.kwargs:
            path = path.replace("{" + name + "}", str(values[name]))
        return "/" + API_PREFIX + path


def normalise(pattern: str) -> str:
    route = pattern.replace("^", "").replace("$", "").replace("/?", "").replace("\\", "")
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return route.rstrip("/")


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    allowed = set(getattr(view_class, "http_method_names", ALL_METHODS))
    if actions:
        names = set(actions)
    else:
        names = {m for m in ALL_METHODS if hasattr(view_class, m)}
    return tuple(m for m in ALL_METHODS if m in names and m in allowed)


def api_routes() -> list[Route]:
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    routes = {}
    for pattern, callback in walk(get_resolver().url_patterns):
        route = normalise(pattern)
        if not route.startswith(API_PREFIX):
            continue
        route = route[len(API_PREFIX) :]
        kwargs = tuple(re.findall(r"{(\w+)}", route))
        routes[route] = Route(route, kwargs, _methods(callback))
    return sorted(routes.values(), key=lambda r: r.route)


ROUTES = api_routes()
OBJECT_ROUTES = [r for r in ROUTES if r.kwargs]
LIST_ROUTES = [
    r for r in ROUTES if not r.kwargs and "get" in r.methods and r.route not in NOT_OBJECT_ROUTES
]


# --- the other tenant's world -----------------------------------------------------------


@dataclass
class Rival:
    """Another tenant with one of everything, each carrying MARKER in a visible text field."""

    tenant: object
    owner: object
    store: Location
    warehouse: Location
    variant: object
    built: dict = field(default_factory=dict)

    def once(self, name, build):
        if name not in self.built:
            self.built[name] = build()
        return self.built[name]

    @property
    def product(self):
        return self.variant.product

    @property
    def item(self):
        return InventoryItem.objects.get(
            tenant=self.tenant, location=self.store, variant=self.variant
        )


def build_rival(tenant, marker: str = MARKER) -> Rival:
    """One of everything in ``tenant``; text fields carry ``marker`` (our own tenant can get one too)."""
    MARKER = marker  # noqa: N806  (the builders below read the module name; this one is per world)
    owner = factories.MembershipFactory(
        tenant=tenant, role=Role.OWNER, user__username=f"{MARKER}-owner"
    )
    store = factories.LocationFactory(tenant=tenant, code=f"{MARKER}-S", name=f"{MARKER} store")
    warehouse = factories.LocationFactory(
        tenant=tenant, code=f"{MARKER}-W", name=f"{MARKER} warehouse", type=Location.Type.WAREHOUSE
    )
    category = factories.CategoryFactory(tenant=tenant, name=f"{MARKER} category")
    product = factories.ProductFactory(
        tenant=tenant,
        name=f"{MARKER} product",
        category=category,
        tax_category=factories.TaxCategoryFactory(tenant=tenant, name=f"{MARKER} VAT"),
    )
    variant = factories.VariantFactory(
        tenant=tenant,
        product=product,
        sku=f"{MARKER}-SKU",
        barcode=f"{MARKER}-BC",
        reorder_point=Decimal("100"),
    )
    receive_stock(
        tenant=tenant,
        location_id=store.pk,
        note=f"{MARKER} receipt",
        ref_id=f"{MARKER}-REF",
        lines=[ReceiptLine(variant_id=variant.pk, qty=Decimal("10"), unit_cost=Decimal("1"))],
    )
    receive_stock(
        tenant=tenant,
        location_id=warehouse.pk,
        note=f"{MARKER} receipt",
        lines=[ReceiptLine(variant_id=variant.pk, qty=Decimal("5"))],
    )
    return Rival(tenant=tenant, owner=owner, store=store, warehouse=warehouse, variant=variant)


def _transfer(r: Rival):
    transfer = InventoryTransfer.objects.create(
        tenant=r.tenant, from_location=r.store, to_location=r.warehouse, note=f"{MARKER} transfer"
    )
    InventoryTransferLine.objects.create(
        tenant=r.tenant, transfer=transfer, variant=r.variant, qty=Decimal("1")
    )
    return transfer


def _count(r: Rival):
    return CountSession.objects.create(tenant=r.tenant, location=r.store, zone_name=MARKER)


def _vendor(r: Rival):
    from storekeep.purchasing.models import Vendor

    return Vendor.objects.create(tenant=r.tenant, name=f"{MARKER} vendor", code=MARKER)


def _vendor_variant(r: Rival):
    from storekeep.purchasing.models import VendorVariant

    return VendorVariant.objects.create(
        tenant=r.tenant,
        vendor=r.once("vendor", lambda: _vendor(r)),
        variant=r.variant,
        vendor_sku=MARKER,
    )


def _order(r: Rival):
    from storekeep.purchasing.models import PurchaseOrder, PurchaseOrderLine

    order = PurchaseOrder.objects.create(
        tenant=r.tenant,
        vendor=r.once("vendor", lambda: _vendor(r)),
        location=r.store,
        note=f"{MARKER} order",
    )
    PurchaseOrderLine.objects.create(
        tenant=r.tenant,
        order=order,
        variant=r.variant,
        qty_ordered=Decimal("3"),
        unit_cost=Decimal("1"),
    )
    return order


def _register(r: Rival):
    from storekeep.pos.models import Register

    return Register.objects.create(
        tenant=r.tenant, location=r.store, code=f"{MARKER}-R", name=f"{MARKER} till"
    )


def _session(r: Rival):
    from storekeep.pos.models import RegisterSession

    return RegisterSession.objects.create(
        tenant=r.tenant,
        register=r.once("register", lambda: _register(r)),
        opened_by=r.owner.user,
        token_hash=hash_token(f"rs_{MARKER}"),
    )


def _sale(r: Rival):
    from storekeep.pos.models import sale_write

    with sale_write():  # a bare row with a marker, as only the POS services may write one
        return _sale_rows(r)


def _sale_rows(r: Rival):
    from storekeep.pos.models import Sale, SaleLine

    sale = Sale.objects.create(
        tenant=r.tenant,
        receipt_number=f"{MARKER}-000001",
        location=r.store,
        register_session=r.once("session", lambda: _session(r)),
        cashier=r.owner.user,
        external_ref=MARKER,
        subtotal=Decimal("10"),
        total=Decimal("10"),
    )
    SaleLine.objects.create(
        tenant=r.tenant,
        sale=sale,
        line_no=1,
        variant=r.variant,
        qty=Decimal("1"),
        unit_price=Decimal("10"),
        gross=Decimal("10"),
        net=Decimal("10"),
        line_total=Decimal("10"),
    )
    return sale


def _return(r: Rival):
    from storekeep.pos.models import Return

    return Return.objects.create(
        tenant=r.tenant,
        sale=r.once("sale", lambda: _sale(r)),
        location=r.store,
        reason=MARKER,
        external_ref=MARKER,
    )


def _reservation(r: Rival):
    return Reservation.objects.create(
        tenant=r.tenant,
        location=r.store,
        variant=r.variant,
        qty=Decimal("1"),
        order_ref=MARKER,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _webhook(r: Rival):
    from storekeep.webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        tenant=r.tenant,
        url=f"https://{MARKER.lower()}.example.com/hooks",
        events=["stock.low"],
        description=MARKER,
        secret=f"whsec_{MARKER}",
    )


def _webhook_delivery(r: Rival) -> dict:
    from storekeep.core.outbox import emit_event
    from storekeep.webhooks.models import WebhookDelivery

    def build():
        endpoint = r.once("webhook", lambda: _webhook(r))
        event = emit_event(tenant=r.tenant, event_type="stock.low", data={"note": MARKER})
        return WebhookDelivery.objects.create(tenant=r.tenant, endpoint=endpoint, event=event)

    delivery = r.once("webhook_delivery", build)
    return {"pk": delivery.endpoint_id, "delivery_id": delivery.pk}


def _lot(r: Rival):
    from storekeep.inventory.models import Lot

    return Lot.objects.create(
        tenant=r.tenant, location=r.store, variant=r.variant, lot_code=MARKER, qty=Decimal("0")
    )


def _alert(r: Rival):
    item = r.item
    return LowStockAlert.objects.create(
        tenant=r.tenant,
        item=item,
        location=r.store,
        variant=r.variant,
        available=item.on_hand,
        threshold=Decimal("100"),
    )


#: Route key → builder of the other tenant's object (a model instance, or a dict of URL kwargs).
FACTORIES = {
    "locations/{pk}": lambda r: r.store,
    "categories/{pk}": lambda r: r.product.category,
    "tax-categories/{pk}": lambda r: r.product.tax_category,
    "products/{pk}": lambda r: r.product,
    "variants/{pk}": lambda r: r.variant,
    "unit-conversions/{pk}": lambda r: r.once(
        "unitconv",
        lambda: UnitConversion.objects.create(
            tenant=r.tenant, variant=r.variant, unit=MARKER[:16], factor=Decimal("12")
        ),
    ),
    "inventory/stock/{pk}": lambda r: r.item,
    "inventory/ledger/{pk}": lambda r: StockLedger.objects.filter(tenant=r.tenant).first(),
    "inventory/transfers/{pk}": lambda r: r.once("transfer", lambda: _transfer(r)),
    "inventory/counts/{pk}": lambda r: r.once("count", lambda: _count(r)),
    "inventory/reservations/{pk}": lambda r: r.once("reservation", lambda: _reservation(r)),
    "inventory/low-stock-alerts/{pk}": lambda r: r.once("alert", lambda: _alert(r)),
    "purchasing/vendors/{pk}": lambda r: r.once("vendor", lambda: _vendor(r)),
    "purchasing/vendor_variants/{pk}": lambda r: r.once(
        "vendor_variant", lambda: _vendor_variant(r)
    ),
    "purchasing/vendor-variants/{pk}": lambda r: r.once(
        "vendor_variant", lambda: _vendor_variant(r)
    ),
    "purchasing/orders/{pk}": lambda r: r.once("order", lambda: _order(r)),
    "pos/registers/{pk}": lambda r: r.once("register", lambda: _register(r)),
    "pos/sessions/{pk}": lambda r: r.once("session", lambda: _session(r)),
    "pos/sales/{pk}": lambda r: r.once("sale", lambda: _sale(r)),
    "pos/returns/{pk}": lambda r: r.once("return", lambda: _return(r)),
    "staff/{pk}": lambda r: r.once(
        "member",
        lambda: factories.MembershipFactory(
            tenant=r.tenant, role=Role.CASHIER, user__username=f"{MARKER}-cashier"
        ),
    ),
    "webhooks/{pk}": lambda r: r.once("webhook", lambda: _webhook(r)),
    "webhooks/{pk}/deliveries/{delivery_id}": lambda r: _webhook_delivery(r),
}

#: Route key → builder of the client to call it with (default: an OWNER bearer token of our tenant).
CLIENTS: dict = {}


def _kwargs_for(route: Route, rival: Rival) -> tuple[dict, object]:
    built = FACTORIES[route.key](rival)
    if isinstance(built, dict):
        return built, None
    assert len(route.kwargs) == 1, (
        f"{route.key}: several URL parameters, return a dict of kwargs from its factory"
    )
    return {route.kwargs[0]: built.pk}, built


def _state(obj) -> dict | None:
    if obj is None:
        return None
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    return None if fresh is None else model_to_dict(fresh)


def _assert_error_shape(response, status):
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    return body


@pytest.fixture
def rival(other_tenant):
    return build_rival(other_tenant)


@pytest.fixture
def ours(tenant, store, variant, stock):
    stock(variant, store, 3)
    return tenant


def test_every_route_with_an_id_has_an_isolation_factory():
    missing = sorted(
        {r.key for r in OBJECT_ROUTES if r.key not in FACTORIES and r.key not in NOT_OBJECT_ROUTES}
    )
    assert not missing, (
        f"no factory for {missing}: add an entry to FACTORIES in {__file__} that builds the other tenant's "
        "object for that route (see the module docstring)."
    )
    assert OBJECT_ROUTES, "route discovery found no route with an id"


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=[r.route for r in OBJECT_ROUTES])
def test_other_tenants_object_answers_404_on_every_method(route, rival, ours, client_for, settings):
    if route.key not in FACTORIES:
        pytest.fail(
            f"no isolation factory for {route.key} (see test_every_route_with_an_id_has_an_isolation_factory)"
        )
    kwargs, obj = _kwargs_for(route, rival)
    client = CLIENTS[route.key](ours) if route.key in CLIENTS else client_for(Role.OWNER)
    before = _state(obj)
    ledger_before = StockLedger.objects.filter(tenant=rival.tenant).count()
    url = route.url(kwargs)
    for method in route.methods:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 404, (
            f"{method.upper()} {url} → {response.status_code} {response.content[:300]}"
        )
        assert _assert_error_shape(response, 404)["code"] == "not_found"
        assert MARKER not in response.content.decode()
    assert _state(obj) == before, f"{url}: the other tenant's object changed"
    assert StockLedger.objects.filter(tenant=rival.tenant).count() == ledger_before

    unknown = route.url({name: 987654321 for name in route.kwargs})
    for method in route.methods:
        response = getattr(client, method)(unknown, {}, format="json")
        assert response.status_code == 404, f"{method.upper()} {unknown} → {response.status_code}"

    if "get" in route.methods:  # control: the factory built a real object, its own tenant reads it
        own = client_for(Role.OWNER, tenant_=rival.tenant)
        response = own.get(url)
        assert response.status_code == 200, (
            f"control: GET {url} by its own tenant → {response.status_code}"
        )


@pytest.mark.parametrize("route", LIST_ROUTES, ids=[r.route for r in LIST_ROUTES])
def test_lists_never_show_another_tenants_rows(route, rival, ours, owner_client):
    for build in FACTORIES.values():  # give the other tenant one of everything
        build(rival)
    queries = [
        "",
        "?format=csv",
        f"?location_id={rival.store.pk}",
        f"?variant_id={rival.variant.pk}",
        f"?search={MARKER}",
        f"?page_size=500&location_id={rival.warehouse.pk}",
    ]
    for query in queries:
        response = owner_client.get(f"/{API_PREFIX}{route.route}{query}")
        assert response.status_code < 500, f"GET {route.route}{query} → {response.status_code}"
        content = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert MARKER not in content, (
            f"GET {route.route}{query} shows the other tenant's data: {content[:500]}"
        )
        if response.status_code >= 400 and response.status_code != 406:
            _assert_error_shape(response, response.status_code)


def test_marker_control_the_other_tenant_sees_its_own_rows(rival, client_for):
    own = client_for(Role.OWNER, tenant_=rival.tenant)
    assert MARKER in own.get("/api/v1/variants").content.decode()
    assert (
        MARKER
        in b"".join(own.get("/api/v1/inventory/ledger?format=csv").streaming_content).decode()
    )


def test_core_lists_show_exactly_our_rows(rival, ours, owner_client, store, variant):
    def ids(url):
        response = owner_client.get(url)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids("/api/v1/locations") == {store.pk}
    assert ids("/api/v1/variants") == {variant.pk}
    assert ids("/api/v1/products") == {variant.product_id}
    assert ids("/api/v1/inventory/stock") == {InventoryItem.objects.get(tenant=ours).pk}
    assert ids("/api/v1/inventory/ledger") == set(
        StockLedger.objects.filter(tenant=ours).values_list("pk", flat=True)
    )


# --- write bodies that refer to the other tenant's objects ------------------------------------

#: Body field name → the other tenant's object it names (built from the Rival world).
BODY_REFERENCES = {
    "location_id": lambda r: r.store,
    "from_location_id": lambda r: r.store,
    "to_location_id": lambda r: r.warehouse,
    "store_id": lambda r: r.store,
    "variant_id": lambda r: r.variant,
    "component_id": lambda r: r.variant,
    "product_id": lambda r: r.product,
    "category_id": lambda r: r.product.category,
    "parent_id": lambda r: r.product.category,
    "tax_category_id": lambda r: r.product.tax_category,
    "vendor_id": lambda r: r.once("vendor", lambda: _vendor(r)),
    "order_id": lambda r: r.once("order", lambda: _order(r)),
    "register_id": lambda r: r.once("register", lambda: _register(r)),
    "session_id": lambda r: r.once("session", lambda: _session(r)),
    "register_session_id": lambda r: r.once("session", lambda: _session(r)),
    "sale_id": lambda r: r.once("sale", lambda: _sale(r)),
    "sale_line_id": lambda r: r.once("sale", lambda: _sale(r)).lines.first(),
    "return_id": lambda r: r.once("return", lambda: _return(r)),
    "transfer_id": lambda r: r.once("transfer", lambda: _transfer(r)),
    "count_id": lambda r: r.once("count", lambda: _count(r)),
    "reservation_id": lambda r: r.once("reservation", lambda: _reservation(r)),
    "lot_id": lambda r: r.once("lot", lambda: _lot(r)),
}


def _openapi():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _write_operations():
    schema = _openapi()
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if (
                method in WRITE_METHODS
                and "application/json" in content
                and not path.startswith("/api/v1/auth/")
            ):
                operations.append((method, path, content["application/json"]["schema"]))
    return schema, operations


SCHEMA, WRITE_OPERATIONS = _write_operations()


def _resolve(node):
    while "$ref" in node:
        node = SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in node:
            return _resolve(node[combinator][0])
    return node


def _sample(node, rival, name="", unknown=None):
    node = _resolve(node)
    if name.endswith("_id") and node.get("type") in ("integer", None):
        if name not in BODY_REFERENCES:
            unknown.add(name)
            return 987654321
        return BODY_REFERENCES[name](rival).pk
    if "enum" in node:
        return next(v for v in node["enum"] if v is not None)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        chosen = [k for k in props if k in node.get("required", []) or k.endswith("_id")]
        return {
            k: _sample(props[k], rival, k, unknown) for k in chosen if not props[k].get("readOnly")
        }
    if kind == "array":
        return [_sample(node.get("items", {}), rival, name, unknown)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if node.get("format") == "date":
        return "2030-01-01"
    if node.get("format") == "date-time":
        return "2030-01-01T00:00:00Z"
    if node.get("format") == "decimal":
        return "1"
    return "x"


@pytest.mark.parametrize(
    "method,path,body_schema",
    WRITE_OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, _ in WRITE_OPERATIONS],
)
def test_bodies_naming_another_tenants_objects_are_refused(
    method, path, body_schema, rival, ours, client_for
):
    unknown: set = set()
    body = _sample(body_schema, rival, unknown=unknown)
    assert not unknown, (
        f"{method.upper()} {path}: no BODY_REFERENCES entry for {sorted(unknown)} in {__file__}; "
        "add which of the other tenant's objects the field names"
    )
    if not any(key.endswith("_id") for key in _flatten_keys(body)):
        pytest.skip("this body refers to no object")
    url = path
    if "{" in path:  # the URL names OUR object; only the body refers to the other tenant
        canon = re.sub(r"{\w+}", "{}", path[len("/" + API_PREFIX) :].rstrip("/"))
        route = next(r for r in OBJECT_ROUTES if re.sub(r"{\w+}", "{}", r.route) == canon)
        if route.key not in FACTORIES:
            pytest.fail(f"no isolation factory for {route.key}")
        built = FACTORIES[route.key](build_rival(ours, marker="OURSIDE"))
        values = built if isinstance(built, dict) else {route.kwargs[0]: built.pk}
        url = route.url(values)
    ledger_before = StockLedger.objects.count()
    rival_before = {
        name: _state(ref(rival))
        for name, ref in BODY_REFERENCES.items()
        if name.endswith("location_id") or name in ("variant_id", "product_id")
    }
    client = client_for(Role.OWNER)
    response = getattr(client, method)(url, body, format="json")
    assert 400 <= response.status_code < 500, (
        f"{method.upper()} {url} {body} → {response.status_code} {response.content[:300]}"
    )
    assert MARKER not in response.content.decode()
    assert StockLedger.objects.count() == ledger_before
    assert {
        name: _state(ref(rival)) for name, ref in BODY_REFERENCES.items() if name in rival_before
    } == rival_before


def _flatten_keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _flatten_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _flatten_keys(inner)
