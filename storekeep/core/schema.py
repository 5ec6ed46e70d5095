"""The OpenAPI document says every status the API can answer (issue 9, item 6; SPEC §10).

Views document their own outcomes with ``@extend_schema`` (bodies, and the
domain errors: 409 conflicts, 422 idempotency reuse, …). The statuses that
follow from an operation's *shape* rather than its domain are added here, in
one place, by :func:`document_error_responses` (a drf-spectacular
postprocessing hook, ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``):

========  ===============================================================
status    documented on
========  ===============================================================
400       operations with query or header parameters or a body (bad filters,
          ``format``, ``page``, ``cursor``, an ``Idempotency-Key`` too long, bad JSON)
401, 403  operations that need credentials (missing/expired; role/location)
404       routes with an id in the path (unknown, or another tenant's id);
          page-numbered lists (a page beyond the last)
413, 415  operations with a body (over the size limit; not JSON/form)
503       every operation (PostgreSQL ``statement_timeout``, with ``Retry-After``)
========  ===============================================================

A status a view already documents keeps the view's description. Every added
response is the error shape ``{"code", "message", "details"}`` (``Error``).
The schemathesis suite (``storekeep/api_tests/test_schemathesis.py``) checks
that the API answers nothing else.
"""

from __future__ import annotations

from .serializers import ERROR_DESCRIPTIONS

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before retrying.",
    }
}


def implied_statuses(operation: dict) -> list[int]:
    """The error statuses an operation can answer because of its shape (see the module table)."""
    parameters = operation.get("parameters", [])
    where = {parameter["in"] for parameter in parameters}
    names = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
    has_body = "requestBody" in operation
    security = operation.get("security") or []
    secured = bool(security) and {} not in security
    statuses = []
    if where & {"query", "header"} or has_body:
        statuses.append(400)
    if secured:
        statuses += [401, 403]
    if "path" in where or "page" in names:
        statuses.append(404)
    if has_body:
        statuses += [413, 415]
    statuses.append(503)
    return statuses


def error_response(status: int) -> dict:
    """An OpenAPI response object: the error shape, the status's description (and header)."""
    response = {
        "description": ERROR_DESCRIPTIONS.get(status, "Error."),
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add :func:`implied_statuses` to every operation."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in implied_statuses(operation):
                responses.setdefault(str(status), error_response(status))
            operation["responses"] = dict(sorted(responses.items()))
    return result
