"""pytest fixtures shared by every app's tests.

- ``tenant``/``other_tenant``, ``store``/``warehouse`` locations, ``variant``;
- ``client_for(role, tenant=None, locations=())`` → an APIClient with a Bearer token;
- ``owner_client``, ``manager_client``, ``cashier_client``, ``viewer_client``;
- ``stock(variant, location, qty, unit_cost=None)`` receives stock through the engine;
- ``redis_client`` (skips without Redis; fails under STOREKEEP_REQUIRE_SERVICES=1);
- the ``postgres`` marker skips on SQLite (fails under STOREKEEP_REQUIRE_SERVICES=1
  only when DATABASE_URL points at PostgreSQL and it is unreachable).
"""

from decimal import Decimal

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from storekeep.accounts.models import ApiToken
from storekeep.tenants.models import Role

from . import factories


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")
    if settings.IS_POSTGRES:
        from .db import allow_ledger_truncate_in_test_flush

        allow_ledger_truncate_in_test_flush()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Hashing with PBKDF2 costs ~1 s per user on a busy CI core; tests need no strength."""
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture(autouse=True)
def _reset_login_throttle(request):
    """Every test starts with no failed sign-ins counted (django-axes' counters)."""
    uses_db = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "_django_db_helper")
    )
    if uses_db and settings.AXES_ENABLED:
        from axes.utils import reset

        request.getfixturevalue("_django_db_helper")
        reset()


@pytest.fixture(autouse=True)
def _postgres_marker(request):
    if request.node.get_closest_marker("postgres") is None or settings.IS_POSTGRES:
        return
    if settings.STOREKEEP_REQUIRE_SERVICES:
        pytest.fail(
            "needs PostgreSQL but DATABASE_URL does not point at it (STOREKEEP_REQUIRE_SERVICES=1)"
        )
    pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(slug="acme", name="Acme Retail")


@pytest.fixture
def other_tenant(db):
    return factories.TenantFactory(slug="rival", name="Rival Stores")


@pytest.fixture
def store(tenant):
    return factories.LocationFactory(
        tenant=tenant, code="STORE1", name="High Street", is_default=True
    )


@pytest.fixture
def warehouse(tenant):
    from storekeep.locations.models import Location

    return factories.LocationFactory(
        tenant=tenant, code="WH1", name="Warehouse", type=Location.Type.WAREHOUSE
    )


@pytest.fixture
def variant(tenant):
    return factories.VariantFactory(
        tenant=tenant, sku="MUG-RED", price=Decimal("10.00"), cost=Decimal("4.00")
    )


@pytest.fixture
def make_member(db):
    def make(role=Role.OWNER, tenant=None, locations=(), username=None):
        kwargs = {"role": role}
        if tenant is not None:
            kwargs["tenant"] = tenant
        if username:
            kwargs["user__username"] = username
        membership = factories.MembershipFactory(**kwargs)
        if locations:
            membership.locations.set(locations)
        return membership

    return make


@pytest.fixture
def client_for(make_member, tenant):
    def make(role=Role.OWNER, tenant_=None, locations=()):
        membership = make_member(role=role, tenant=tenant_ or tenant, locations=locations)
        _, raw = ApiToken.issue(membership=membership, ttl=settings.STOREKEEP_TOKEN_TTL)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.membership = membership
        client.user = membership.user
        return client

    return make


@pytest.fixture
def owner_client(client_for):
    return client_for(Role.OWNER)


@pytest.fixture
def manager_client(client_for):
    return client_for(Role.MANAGER)


@pytest.fixture
def cashier_client(client_for):
    return client_for(Role.CASHIER)


@pytest.fixture
def viewer_client(client_for):
    return client_for(Role.VIEWER)


@pytest.fixture
def stock(db):
    from storekeep.inventory.services import ReceiptLine, receive_stock

    def receive(variant, location, qty, unit_cost=None, **line_kwargs):
        return receive_stock(
            tenant=variant.tenant,
            location_id=location.pk,
            lines=[
                ReceiptLine(
                    variant_id=variant.pk,
                    qty=Decimal(str(qty)),
                    unit_cost=None if unit_cost is None else Decimal(str(unit_cost)),
                    **line_kwargs,
                )
            ],
        )

    return receive


@pytest.fixture
def redis_client():
    import redis

    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        if settings.STOREKEEP_REQUIRE_SERVICES:
            pytest.fail(f"Redis required but unreachable at {url}: {exc}")
        pytest.skip(f"Redis unreachable at {url}")
    return client
