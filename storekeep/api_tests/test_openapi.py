"""The OpenAPI document is generated without warnings and describes bodies and errors (SPEC §10)."""

from decimal import Decimal
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
        ("/api/v1/staff", "get", {"200", "400", "401", "403"}),
        ("/api/v1/staff", "post", {"201", "400", "401", "403", "409", "422"}),
        ("/api/v1/staff/{id}", "get", {"200", "401", "403", "404"}),
        ("/api/v1/staff/{id}", "patch", {"200", "400", "401", "403", "404"}),
        ("/api/v1/staff/{id}/password", "post", {"200", "400", "401", "403", "404"}),
        ("/api/v1/staff/{id}/history", "get", {"200", "401", "403", "404"}),
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


def _op(schema, path, method):
    return (schema["paths"].get(path) or schema["paths"][path + "/"])[method]


def _body_schema(schema, operation):
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_till_controls_are_documented(schema):
    """Issue 12: the approval fields on every command that can need one, the approvals
    endpoint, cash movements, receipt names and tax summary, the Z report's additions."""
    for path in (
        "/api/v1/pos/checkout",
        "/api/v1/pos/sales/{id}/void",
        "/api/v1/pos/returns",
        "/api/v1/pos/returns/{id}/finalize",
    ):
        operation = _op(schema, path, "post")
        body = _body_schema(schema, operation)
        assert {"approval", "approval_token"} <= set(body["properties"]), path
        assert {"403", "429"} <= set(operation["responses"]), path
    assert (
        "reason"
        in _body_schema(schema, _op(schema, "/api/v1/pos/sales/{id}/void", "post"))["properties"]
    )
    assert (
        "discount_reason"
        in _body_schema(schema, _op(schema, "/api/v1/pos/checkout", "post"))["properties"]
    )
    approvals = _op(schema, "/api/v1/pos/approvals", "post")
    assert {"201", "403"} <= set(approvals["responses"])
    moves = (
        schema["paths"].get("/api/v1/pos/sessions/{id}/cash-movements")
        or schema["paths"]["/api/v1/pos/sessions/{id}/cash-movements/"]
    )
    assert {"get", "post"} <= set(moves)
    move_body = _body_schema(schema, moves["post"])
    assert set(move_body["required"]) == {"amount", "direction", "reason"}
    assert {"201", "400", "409"} <= set(moves["post"]["responses"])
    components = schema["components"]["schemas"]
    assert {"product_name", "variant_name", "sku"} <= set(
        components["ReceiptLineOutput"]["properties"]
    )
    assert "tax_summary" in components["SaleOutput"]["properties"]
    z = components["ZReport"]["properties"]
    assert {"tax_rates", "cashiers", "paid_in", "paid_out", "approvals", "voids"} <= set(z)


def test_staff_operations_describe_their_bodies(schema):
    """Issue 12 item 1: the staff endpoints' request and response fields are documented."""
    components = schema["components"]["schemas"]
    create = components["StaffCreateInputRequest"]
    assert set(create["required"]) == {"username", "password", "role"}
    assert {"name", "email", "location_ids"} <= set(create["properties"])
    assert set(components["StaffOutput"]["properties"]) >= {
        "id",
        "username",
        "name",
        "email",
        "role",
        "location_ids",
        "is_active",
    }
    role = components["StaffOutput"]["properties"]["role"]["$ref"].rsplit("/", 1)[1]
    assert components[role]["enum"] == ["OWNER", "MANAGER", "INTEGRATION", "CASHIER", "VIEWER"]
    history = components["StaffHistoryEntry"]["properties"]
    assert {"at", "by", "action", "note", "changes"} <= set(history)


# ------------------------------------------------- issue 9: the document matches the API


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def response_schema(schema, path, method, status="200"):
    found = schema["paths"].get(path) or schema["paths"][path + "/"]
    body = found[method]["responses"][status]["content"]["application/json"]["schema"]
    if "$ref" in body:
        return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/pos/sales", "/api/v1/pos/returns", "/api/v1/inventory/stock"]
)
def test_paginated_lists_are_documented_as_pages(schema, path):
    page = response_schema(schema, path, "get")
    assert page["type"] == "object"
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    params = {
        p["name"]: p
        for p in (schema["paths"].get(path) or schema["paths"][path + "/"])["get"]["parameters"]
    }
    assert params["page"]["schema"]["minimum"] == 1
    assert params["page_size"]["schema"]["maximum"] == 500


def test_ledger_reason_documents_the_empty_reason(schema):
    row = response_schema(schema, "/api/v1/inventory/ledger", "get")["properties"]["results"]
    ref = row["items"]["$ref"].rsplit("/", 1)[1]
    reason = schema["components"]["schemas"][ref]["properties"]["reason"]
    values = set()
    for option in reason.get("oneOf", [reason]):
        target = option
        if "$ref" in option:
            target = schema["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
        values |= set(target.get("enum", []))
    assert {"", "damage", "theft", "spoilage", "correction", "initial", "expiry", "other"} <= values


def test_every_operation_documents_the_statuses_its_shape_implies(schema):
    missing = []
    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        want = {"503"}
        if "{" in path or "page" in names:
            want.add("404")
        if names or "requestBody" in operation:
            want.add("400")
        if operation.get("security") and {} not in operation["security"]:
            want |= {"401", "403"}
        if not want <= statuses:
            missing.append((method, path, sorted(want - statuses)))
    assert missing == []


def test_the_register_scheme_is_declared_and_used_by_the_till_calls(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["Register"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["Register"]["description"],
    }
    assert "Register <token>" in schemes["Register"]["description"]
    for path in ("/api/v1/pos/checkout", "/api/v1/pos/quote"):
        security = schema["paths"][path]["post"]["security"]
        assert security[0] == {"Register": []} and {"Bearer": []} in security
        assert security.count({"Bearer": []}) == 1


@pytest.mark.parametrize(
    "path", ["/api/v1/pos/checkout", "/api/v1/pos/quote", "/api/v1/pos/returns"]
)
def test_pos_request_examples_are_valid_calls(schema, path):
    examples = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]
    assert examples
    for example in examples.values():
        body = example["value"]
        for line in body["lines"]:
            assert not ("variant_id" in line and "barcode" in line), line
            assert Decimal(line["qty"]) > 0
            for key, value in line.items():
                if key.endswith("_id"):
                    assert 0 < value < 2**31
        for tender in body.get("tenders", []):
            assert Decimal(tender["amount"]) > 0
