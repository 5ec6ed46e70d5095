"""/api/v1/locations CRUD (SPEC §2, §10)."""

from storekeep.locations.models import Location
from storekeep.testing import factories


def test_create_list_update_locations(manager_client, store):
    response = manager_client.post(
        "/api/v1/locations",
        {"code": "WH9", "name": "Overflow", "type": "WAREHOUSE", "settings": {"bays": 12}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["settings"] == {"bays": 12}
    codes = [row["code"] for row in manager_client.get("/api/v1/locations").json()["results"]]
    assert codes == ["STORE1", "WH9"]
    assert [
        r["code"] for r in manager_client.get("/api/v1/locations?type=WAREHOUSE").json()["results"]
    ] == ["WH9"]
    assert (
        manager_client.patch(
            f"/api/v1/locations/{store.pk}", {"name": "Main St"}, format="json"
        ).status_code
        == 200
    )


def test_duplicate_code_is_409(manager_client, store):
    response = manager_client.post(
        "/api/v1/locations", {"code": "STORE1", "name": "Again"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "duplicate"
    assert "code" in response.json()["details"]


def test_one_default_location_per_tenant(manager_client, store, tenant):
    response = manager_client.post(
        "/api/v1/locations", {"code": "S2", "name": "Second", "is_default": True}, format="json"
    )
    assert response.status_code == 201
    assert list(
        Location.objects.filter(tenant=tenant, is_default=True).values_list("code", flat=True)
    ) == ["S2"]


def test_delete_of_a_stocked_location_is_409_and_of_an_unused_one_204(
    manager_client, store, variant, stock, tenant
):
    stock(variant, store, 1)
    response = manager_client.delete(f"/api/v1/locations/{store.pk}")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    spare = factories.LocationFactory(tenant=tenant)
    assert manager_client.delete(f"/api/v1/locations/{spare.pk}").status_code == 204
    assert (
        Location.objects.filter(pk=store.pk).exists()
        and not Location.objects.filter(pk=spare.pk).exists()
    )
