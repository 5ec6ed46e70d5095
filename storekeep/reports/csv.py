"""CSV export for list and report endpoints (SPEC §9: "every list exports CSV").

A view that lists rows adds :class:`CSVRenderer` to its renderers; a client
asks for CSV with ``?format=csv`` (DRF's format override) or
``Accept: text/csv``. :func:`list_response` paginates a queryset (JSON) or
returns every row (CSV) so both paths share one serializer/row function.

Shared: other apps may reuse this module.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

CSV_FORMAT = "csv"
MAX_CSV_ROWS = 100_000


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, int, float, str)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return json.dumps(value, cls=DjangoJSONEncoder)


def flatten(row: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists stay whole (JSON-encoded in the cell)."""
    out: dict = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def rows_to_csv(rows: Iterable[dict], columns: list[str] | None = None) -> str:
    """Render dict rows as CSV text; columns = ``columns`` or the union of keys in first-seen order."""
    flat = [flatten(dict(row)) for row in rows]
    if columns is None:
        columns = []
        seen = set()
        for row in flat:
            for key in row:
                if key not in seen:
                    seen.add(key)
                    columns.append(key)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """``text/csv`` for lists: a list of dicts, or a page ``{"results": [...]}``.

    Error responses (status ≥ 400) stay JSON ``{"code","message","details"}``.
    A view may set ``csv_columns`` to fix the column order.
    """

    media_type = "text/csv"
    format = CSV_FORMAT
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json"
            return JSONRenderer().render(data)
        if data is None:
            return b""
        rows = data.get("results", [data]) if isinstance(data, dict) else data
        view = renderer_context.get("view")
        columns = getattr(view, "csv_columns", None)
        return rows_to_csv(rows, columns).encode(self.charset)


def wants_csv(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == CSV_FORMAT


def csv_download(rows: list[dict], filename: str) -> Response:
    """A 200 response whose rows the CSV renderer writes, as an attachment ``filename``."""
    response = Response(rows)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def list_response(
    view,
    queryset,
    to_rows: Callable[[list], list[dict]],
    *,
    filename: str,
    extra: dict | None = None,
) -> Response:
    """Paginate ``queryset`` through the view's paginator (JSON) or export it whole (CSV).

    ``to_rows`` turns a list of objects (one page, or everything) into dict rows
    with a constant number of queries. ``extra`` keys are added to the JSON page
    (e.g. report totals). CSV exports stop at ``MAX_CSV_ROWS`` rows.
    """
    request = view.request
    if wants_csv(request):
        return csv_download(to_rows(list(queryset[:MAX_CSV_ROWS])), filename)
    page = view.paginate_queryset(queryset)
    if page is None:
        return Response(to_rows(list(queryset)))
    response = view.get_paginated_response(to_rows(list(page)))
    if extra:
        response.data.update(extra)
    return response
