"""Reservations over HTTP (SPEC §8, issue 15 item 1): create, list, detail, confirm, release,
expiry (lazy, beat job, admin action), roles and locations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from storekeep.inventory.models import InventoryItem, Reservation, StockLedger
from storekeep.inventory.tasks import release_expired_reservations
from storekeep.tenants.models import Role
from storekeep.testing import factories

URL = "/api/v1/inventory/reservations"
STOCK = "/api/v1/inventory/stock"


def body(store, variant, qty="1", **extra):
    return {
        "location_id": store.pk,
        "variant_id": variant.pk,
        "qty": qty,
        "order_ref": "WEB-1001",
        **extra,
    }


def item(variant, store) -> InventoryItem:
    return InventoryItem.objects.get(variant=variant, location=store)


def overdue(reservation_id):
    Reservation.objects.filter(pk=reservation_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def stocked(variant, store, stock):
    stock(variant, store, 5)
    return variant


def test_reserve_holds_stock_and_answers_pending_with_expiry(manager_client, stocked, store):
    response = manager_client.post(URL, body(store, stocked, "2", ttl_minutes=30), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["qty"], data["order_ref"]) == ("PENDING", "2.000", "WEB-1001")
    assert data["location_id"] == store.pk and data["sku"] == stocked.sku
    expires = Reservation.objects.get(pk=data["id"]).expires_at
    assert timedelta(minutes=29) < expires - timezone.now() <= timedelta(minutes=30)
    assert (item(stocked, store).on_hand, item(stocked, store).reserved) == (5, 2)
    row = manager_client.get(STOCK, {"variant_id": stocked.pk}).json()["results"][0]
    assert (row["reserved"], row["available"]) == ("2.000", "3.000")
    assert StockLedger.objects.filter(variant=stocked).count() == 1  # reserving writes no row


def test_default_ttl_is_the_tenants(manager_client, stocked, store, tenant):
    data = manager_client.post(URL, body(store, stocked), format="json").json()
    expires = Reservation.objects.get(pk=data["id"]).expires_at
    ttl = timedelta(minutes=tenant.reservation_ttl_minutes)
    assert ttl - timedelta(minutes=1) < expires - timezone.now() <= ttl


def test_short_stock_is_409_and_holds_nothing(manager_client, stocked, store):
    assert manager_client.post(URL, body(store, stocked, "4"), format="json").status_code == 201
    response = manager_client.post(URL, body(store, stocked, "2"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["details"]["lines"][0]["available"] == "1.000"
    assert item(stocked, store).reserved == 4 and Reservation.objects.count() == 1


def test_idempotency_key_reserves_once(manager_client, stocked, store):
    first = manager_client.post(URL, body(store, stocked), format="json", HTTP_IDEMPOTENCY_KEY="o1")
    again = manager_client.post(URL, body(store, stocked), format="json", HTTP_IDEMPOTENCY_KEY="o1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Reservation.objects.count() == 1 and item(stocked, store).reserved == 1
    other = body(store, stocked, "2")
    reused = manager_client.post(URL, other, format="json", HTTP_IDEMPOTENCY_KEY="o1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"qty": "0"}, 400, "validation_error"),
        ({"qty": "-1"}, 400, "validation_error"),
        ({"qty": "1.0001"}, 400, "validation_error"),
        ({"qty": "abc"}, 400, "validation_error"),
        ({"ttl_minutes": 0}, 400, "validation_error"),
        ({"ttl_minutes": 10**9}, 400, "validation_error"),
        ({"ttl_minutes": "soon"}, 400, "validation_error"),
        ({"order_ref": ""}, 400, "validation_error"),
        ({"order_ref": None}, 400, "validation_error"),
        ({"order_ref": "x" * 101}, 400, "validation_error"),
        ({"variant_id": 98765432}, 404, "not_found"),
        ({"location_id": "x"}, 400, "validation_error"),
    ],
)
def test_bad_input_is_a_4xx_and_changes_nothing(
    manager_client, stocked, store, change, status, code
):
    response = manager_client.post(URL, {**body(store, stocked), **change}, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert Reservation.objects.count() == 0 and item(stocked, store).reserved == 0


def test_an_untracked_variant_cannot_be_reserved(manager_client, tenant, store):
    service = factories.VariantFactory(tenant=tenant, sku="GIFTWRAP", track_inventory=False)
    response = manager_client.post(URL, body(store, service), format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_stocked"


def test_roles_and_locations(client_for, stocked, store, warehouse):
    assert client_for(Role.VIEWER).post(URL, body(store, stocked), format="json").status_code == 403
    assert (
        client_for(Role.CASHIER).post(URL, body(store, stocked), format="json").status_code == 403
    )
    elsewhere = client_for(Role.MANAGER, locations=[warehouse])
    assert elsewhere.post(URL, body(store, stocked), format="json").status_code == 403
    integration = client_for(Role.INTEGRATION, locations=[store])
    created = integration.post(URL, body(store, stocked), format="json")
    assert created.status_code == 201
    owner = client_for(Role.OWNER)
    assert owner.post(URL, body(store, stocked), format="json").status_code == 201
    rid = created.json()["id"]
    viewer = client_for(Role.VIEWER)
    assert viewer.get(f"{URL}/{rid}").status_code == 200
    assert viewer.get(URL).json()["count"] == 2
    assert viewer.post(f"{URL}/{rid}/confirm").status_code == 403
    assert viewer.post(f"{URL}/{rid}/release").status_code == 403
    assert elsewhere.get(f"{URL}/{rid}").status_code == 403
    assert elsewhere.post(f"{URL}/{rid}/confirm").status_code == 403
    assert integration.post(f"{URL}/{rid}/confirm").status_code == 200
    assert item(stocked, store).on_hand == 4


def test_confirm_deducts_once_and_a_repeat_answers_the_same(manager_client, stocked, store):
    rid = manager_client.post(URL, body(store, stocked, "2"), format="json").json()["id"]
    first = manager_client.post(f"{URL}/{rid}/confirm")
    assert first.status_code == 200, first.content
    data = first.json()
    assert data["status"] == "CONFIRMED" and data["confirmed_at"]
    (row,) = data["ledger"]
    assert (row["ref_type"], row["ref_id"], row["qty_delta"]) == (
        "RESERVATION_CONFIRM",
        str(rid),
        "-2.000",
    )
    assert row["note"] == "WEB-1001"
    again = manager_client.post(f"{URL}/{rid}/confirm")
    assert again.status_code == 200 and again.json() == data
    assert StockLedger.objects.filter(ref_type="RESERVATION_CONFIRM").count() == 1
    assert (item(stocked, store).on_hand, item(stocked, store).reserved) == (3, 0)
    released = manager_client.post(f"{URL}/{rid}/release")
    assert released.status_code == 409 and released.json()["code"] == "invalid_state"


def test_release_gives_units_back_once(manager_client, stocked, store):
    rid = manager_client.post(URL, body(store, stocked, "3"), format="json").json()["id"]
    first = manager_client.post(f"{URL}/{rid}/release")
    assert first.status_code == 200 and first.json()["status"] == "RELEASED"
    assert first.json()["released_at"]
    again = manager_client.post(f"{URL}/{rid}/release")
    assert again.status_code == 200 and again.json() == first.json()
    assert (item(stocked, store).on_hand, item(stocked, store).reserved) == (5, 0)
    confirm = manager_client.post(f"{URL}/{rid}/confirm")
    assert confirm.status_code == 409 and confirm.json()["code"] == "invalid_state"
    assert StockLedger.objects.filter(ref_type="RESERVATION_CONFIRM").count() == 0


def test_unknown_or_malformed_ids_are_404(manager_client, stocked, store):
    for path in ("999999", "abc", "999999/confirm", "abc/release"):
        response = (
            manager_client.post(f"{URL}/{path}")
            if "/" in path
            else manager_client.get(f"{URL}/{path}")
        )
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_expired_reservation_never_blocks_stock(manager_client, stocked, store):
    rid = manager_client.post(URL, body(store, stocked, "5"), format="json").json()["id"]
    assert manager_client.post(URL, body(store, stocked, "1"), format="json").status_code == 409
    overdue(rid)
    response = manager_client.post(URL, body(store, stocked, "5"), format="json")
    assert response.status_code == 201, response.content  # lazy expiry in the same transaction
    assert Reservation.objects.get(pk=rid).status == "EXPIRED"
    assert item(stocked, store).reserved == 5
    late = manager_client.post(f"{URL}/{rid}/confirm")
    assert late.status_code == 409 and late.json()["code"] == "invalid_state"


def test_an_overdue_pending_reservation_cannot_be_confirmed(manager_client, stocked, store):
    rid = manager_client.post(URL, body(store, stocked, "1"), format="json").json()["id"]
    overdue(rid)
    response = manager_client.post(f"{URL}/{rid}/confirm")
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    assert item(stocked, store).on_hand == 5


def test_the_beat_job_expires_each_overdue_reservation_once(manager_client, stocked, store):
    ids = [
        manager_client.post(URL, body(store, stocked, "1"), format="json").json()["id"]
        for _ in range(3)
    ]
    overdue(ids[0])
    overdue(ids[1])
    assert release_expired_reservations.apply().get() == 2
    assert release_expired_reservations() == 0
    assert item(stocked, store).reserved == 1
    statuses = dict(Reservation.objects.values_list("pk", "status"))
    assert [statuses[i] for i in ids] == ["EXPIRED", "EXPIRED", "PENDING"]
    entry = settings.CELERY_BEAT_SCHEDULE["release-expired-reservations"]
    assert entry["task"] == "storekeep.inventory.tasks.release_expired_reservations"
    assert entry["schedule"] == timedelta(minutes=1)


def test_list_filters(manager_client, tenant, stocked, store, warehouse, stock):
    other = factories.VariantFactory(tenant=tenant, sku="OTHER")
    stock(other, warehouse, 5)
    a = manager_client.post(URL, body(store, stocked, order_ref="A"), format="json").json()
    b = manager_client.post(
        URL, body(warehouse, other, order_ref="B", ttl_minutes=120), format="json"
    ).json()
    c = manager_client.post(URL, body(store, stocked, order_ref="C"), format="json").json()
    manager_client.post(f"{URL}/{c['id']}/release")

    def ids(**query):
        response = manager_client.get(URL, query)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids() == {a["id"], b["id"], c["id"]}
    assert ids(status="PENDING") == {a["id"], b["id"]}
    assert ids(status="RELEASED") == {c["id"]}
    assert ids(order_ref="B") == {b["id"]}
    assert ids(location_id=warehouse.pk) == {b["id"]}
    assert ids(variant_id=stocked.pk) == {a["id"], c["id"]}
    in_an_hour = (timezone.now() + timedelta(hours=1)).isoformat()
    assert ids(expires_before=in_an_hour) == {a["id"], c["id"]}
    assert ids(expires_after=in_an_hour) == {b["id"]}
    for bad in ({"status": "LOST"}, {"expires_before": "tomorrow"}, {"location_id": "x"}):
        response = manager_client.get(URL, bad)
        assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert "WEB" not in manager_client.get(URL, {"format": "csv"}).get("Content-Type", "")


def test_list_query_count_does_not_grow_with_rows(manager_client, stocked, store):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(URL).status_code == 200
        return len(captured.captured_queries)

    manager_client.post(URL, body(store, stocked), format="json")
    one = queries()
    for _ in range(4):
        manager_client.post(URL, body(store, stocked), format="json")
    assert queries() == one <= 6


def test_a_member_sees_only_their_locations(
    client_for, manager_client, tenant, stocked, store, warehouse, stock
):
    other = factories.VariantFactory(tenant=tenant, sku="OTHER")
    stock(other, warehouse, 5)
    manager_client.post(URL, body(store, stocked), format="json")
    manager_client.post(URL, body(warehouse, other), format="json")
    local = client_for(Role.VIEWER, locations=[warehouse])
    rows = local.get(URL).json()["results"]
    assert [r["location_id"] for r in rows] == [warehouse.pk]
    assert local.get(URL, {"location_id": store.pk}).status_code == 403


# --- admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def test_item_admin_shows_its_reservations(admin_client, manager_client, stocked, store):
    rid = manager_client.post(URL, body(store, stocked, order_ref="SHOP-77"), format="json").json()[
        "id"
    ]
    url = reverse("admin:inventory_inventoryitem_change", args=[item(stocked, store).pk])
    page = admin_client.get(url).content.decode()
    assert "SHOP-77" in page and f"reservation/{rid}/change/" in page and "PENDING" in page


def test_admin_release_expired_now(admin_client, manager_client, stocked, store):
    ids = [
        manager_client.post(URL, body(store, stocked, "1"), format="json").json()["id"]
        for _ in range(2)
    ]
    overdue(ids[0])
    response = admin_client.post(
        reverse("admin:inventory_reservation_changelist"),
        {"action": "release_expired_now", "_selected_action": ids},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 expired reservation(s) released." in response.content.decode()
    assert Reservation.objects.get(pk=ids[0]).status == "EXPIRED"
    assert Reservation.objects.get(pk=ids[1]).status == "PENDING"
    assert item(stocked, store).reserved == 1
    overdue(ids[1])
    response = admin_client.post(
        reverse("admin:inventory_inventoryitem_changelist"),
        {"action": "release_expired_now", "_selected_action": [item(stocked, store).pk]},
        follow=True,
    )
    assert "1 expired reservation(s) released." in response.content.decode()
    assert item(stocked, store).reserved == Decimal("0")
