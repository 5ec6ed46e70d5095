"""The OpenAPI document is generated without warnings and describes bodies and errors (SPEC §10)."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema():
    out = StringIO()
    call_command("spectacular", "--validate", stdout=out, stderr=StringIO())
    return yaml.safe_load(out.getvalue())


def test_schema_generates_and_validates_without_warnings(capsys):
    """``manage.py spectacular --validate --fail-on-warn``: every view of every app must be warning-free."""
    out = StringIO()
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    except Exception as exc:  # SchemaGenerationError: list which views warn
        captured = capsys.readouterr()
        warnings = sorted(
            {
                line.strip()[:240]
                for line in (captured.err + captured.out).splitlines()
                if "Warning" in line
            }
        )
        pytest.fail(f"{exc}:\n" + "\n".join(warnings))
    assert yaml.safe_load(out.getvalue())["openapi"].startswith("3.")


def test_error_shape_is_a_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "details"}


@pytest.mark.parametrize(
    "path,method,statuses",
    [
        ("/api/v1/auth/token", "post", {"201", "400", "401"}),
        ("/api/v1/inventory/receipts", "post", {"201", "400", "401", "403", "409", "422"}),
        ("/api/v1/inventory/adjustments", "post", {"201", "400", "401", "403", "409", "422"}),
        ("/api/v1/inventory/stock", "get", {"200", "400", "401", "403"}),
        ("/api/v1/inventory/stock/{id}", "get", {"200", "401", "403", "404"}),
        ("/api/v1/inventory/ledger", "get", {"200", "400", "401", "403"}),
        ("/api/v1/variants", "post", {"201", "400", "401", "403", "409"}),
        ("/api/v1/variants/{id}", "delete", {"204", "401", "403", "404", "409"}),
        ("/api/v1/locations/{id}", "patch", {"200", "400", "401", "403", "404", "409"}),
    ],
)
def test_my_operations_document_bodies_and_errors(schema, path, method, statuses):
    # Routes accept an optional trailing slash; the schema shows them with one.
    operation = (schema["paths"].get(path) or schema["paths"][path + "/"])[method]
    assert statuses <= set(operation["responses"]), set(operation["responses"])
    for status in statuses - {"200", "201", "204"}:
        ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/Error")
    if method in ("post", "patch"):
        assert operation["requestBody"]["content"]["application/json"]["schema"]


def test_schema_is_served(owner_client):
    response = owner_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/inventory/ledger" in response.content
