"""Streaming CSV export of stock and ledger lists (``?format=csv``, SPEC §9, §10).

:class:`StreamingCSVRenderer` only makes DRF accept ``?format=csv`` (and
renders error bodies as JSON); the rows themselves are streamed by
:func:`stream_csv` from a queryset iterator, so an export of the whole ledger
never holds it in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer

CSV_FORMAT = "csv"


class StreamingCSVRenderer(BaseRenderer):
    """Accepts ``?format=csv``; error responses keep the JSON error shape."""

    media_type = "text/csv"
    format = CSV_FORMAT
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


def wants_csv(request) -> bool:
    return getattr(getattr(request, "accepted_renderer", None), "format", None) == CSV_FORMAT


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def stream_csv(rows: Iterable, columns: list[str], to_row: Callable[[object], dict], filename: str):
    """A ``text/csv`` attachment: a header of ``columns`` then ``to_row(obj)`` for each object."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def generate():
        yield writer.writerow(columns)
        for obj in rows:
            row = to_row(obj)
            yield writer.writerow([_cell(row.get(column)) for column in columns])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
