"""The one CSV renderer: every list and report exports CSV with ``?format=csv`` (SPEC §9, §10).

A view lists :class:`CSVRenderer` among its renderers (``TenantModelViewSet``
and the list bases do), so DRF accepts ``?format=csv`` or ``Accept: text/csv``;
error responses (status ≥ 400) stay JSON ``{"code","message","details"}``.

Two ways to write the rows, both with the columns and filters of the JSON list:

- **streaming** (every list): :func:`stream_csv` writes rows as they are read,
  in constant memory. Rows are tuples in column order (from
  ``values_list()``: the fast path, no model instances), dicts, or objects
  turned into dicts by ``to_row``. :func:`list_response` streams a queryset in
  chunks through the list's own row function (its serializer), and
  :meth:`CSVListMixin.list` does so for every CRUD list.
- **server-formatted** (PostgreSQL, a queryset whose columns are plain model
  fields): :func:`stream_values` has the server write the rows with
  ``COPY (…) TO STDOUT (FORMAT csv)``, from SQL expressions that give the
  bytes the Python path writes (tested equal); elsewhere it streams
  ``values_list()`` rows through :func:`stream_csv`.
- **buffered**: a view returns ``Response(rows)`` (e.g. :func:`csv_download`)
  and :class:`CSVRenderer` writes the list (or a page's ``results``).

Cells: ``None`` → empty, booleans ``true``/``false``, dates ISO 8601, decimals
as written, nested dicts flattened to ``a.b`` columns, lists JSON-encoded.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice

from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import CharField, F, Func, Value
from django.http import StreamingHttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

CSV_FORMAT = "csv"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
#: Objects turned into rows at a time when a list is streamed through its serializer.
CHUNK_SIZE = 500
#: Rows a buffered (in-memory) export holds at most.
MAX_CSV_ROWS = 100_000

FORMAT_PARAM = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="`csv` exports every matching row as CSV"
)


def csv_cell(value):
    """One cell: ``None`` → ``""``, bool → ``true``/``false``, date/time ISO (UTC as ``Z``,
    like the JSON list), dict/list JSON."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (str, int, Decimal, float)):
        return value
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text  # as the JSON list writes it
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, cls=DjangoJSONEncoder)
    return str(value)


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


def columns_of(rows: list[dict]) -> list[str]:
    """The union of the (flattened) rows' keys, in first-seen order."""
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    return list(columns)


def rows_to_csv(rows: Iterable[dict], columns: list[str] | None = None) -> str:
    """Dict rows as CSV text; columns = ``columns`` or the union of keys in first-seen order."""
    flat = [flatten(dict(row)) for row in rows]
    if columns is None:
        columns = columns_of(flat)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """``text/csv``: a list of dicts, or a page ``{"results": [...]}`` (buffered).

    A view may set ``csv_columns`` to fix the column order. Streaming views
    return a :class:`~django.http.StreamingHttpResponse` that bypasses it.
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
        columns = getattr(renderer_context.get("view"), "csv_columns", None)
        return rows_to_csv(rows, columns).encode(self.charset)


def wants_csv(request) -> bool:
    """Whether the request negotiated the CSV renderer (``?format=csv`` / ``Accept: text/csv``)."""
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == CSV_FORMAT


class _Echo:
    """A file-like whose ``write`` returns the text, for ``csv.writer`` in a generator."""

    def write(self, value):
        return value


#: Cell types ``csv.writer`` writes as the JSON list does (``None`` too: an empty cell).
PLAIN_TYPES = frozenset({str, int, Decimal, float})


def _cells(rows: Iterable[list | tuple]) -> Iterator[list | tuple]:
    """Rows with :func:`csv_cell` applied only to the columns that need it.

    A column's kind is read from its first non-null value (a database column
    has one type): plain values go to ``csv.writer`` untouched, so a wide
    export pays the conversion only for its date, boolean or JSON columns.
    """
    kinds: list[bool | None] | None = None
    convert: list[int] = []
    settled = False
    for seen, row in enumerate(rows):
        if not settled:
            if kinds is None:
                kinds = [None] * len(row)
            for index, value in enumerate(row):
                if kinds[index] is None and value is not None:
                    kinds[index] = type(value) in PLAIN_TYPES
            convert = [index for index, plain in enumerate(kinds) if plain is not True]
            settled = None not in kinds or seen >= 1000  # still-null columns: converted
        if convert:
            row = list(row)
            for index in convert:
                row[index] = csv_cell(row[index])
        yield row


def _row_lines(rows: Iterable, columns: list[str], to_row) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(columns)

    def values():
        for row in rows:
            if to_row is not None:
                row = to_row(row)
            if isinstance(row, dict):
                row = flatten(row)
                row = [row.get(column) for column in columns]
            yield row

    for row in _cells(values()):
        yield writer.writerow(row)


def _batched(lines: Iterator[str], size: int = 256) -> Iterator[bytes]:
    """Join lines into fewer, larger chunks (one socket write per ~size rows)."""
    while batch := list(islice(lines, size)):
        yield "".join(batch).encode("utf-8")


def stream_csv(
    rows: Iterable,
    columns: list[str],
    filename: str,
    *,
    to_row: Callable[[object], dict | tuple] | None = None,
) -> StreamingHttpResponse:
    """A ``text/csv`` attachment ``filename``: a header of ``columns``, then one line per row.

    ``rows``: tuples in ``columns`` order (e.g. ``values_list(...).iterator()``),
    dicts keyed by column, or anything ``to_row`` turns into one of those. Rows
    are read lazily, so memory stays constant whatever the number of rows.
    """
    response = StreamingHttpResponse(
        _batched(_row_lines(rows, columns, to_row)), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- server-formatted CSV (PostgreSQL COPY) ----------------------------------------------

#: ISO 8601 in UTC as :func:`csv_cell` writes an aware datetime: seconds, then ``.ffffff``
#: only when the microseconds are not zero, then ``Z``.
_PG_DATETIME = (
    "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN to_char(%(expressions)s, 'US') = '000000' THEN '' "
    "ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || 'Z'"
)
#: Internal types whose PostgreSQL text is the cell ``csv.writer`` writes for the Python value
#: (integers; decimals, whose numeric column has a fixed scale; UUIDs).
_PG_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "DecimalField",
        "UUIDField",
    }
)
_PG_TEXT = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})


def _model_field(model, path: str):
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model if field.is_relation else None
    if field is not None and field.is_relation:
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            return None
        field = field.target_field
    return field


def pg_csv_expression(model, path: str):
    """An expression whose PostgreSQL ``COPY … (FORMAT csv)`` cell is exactly what
    :func:`stream_csv` writes for ``values_list(path)`` on ``model``; None when the field's
    type has no such expression (the caller then uses the Python path).

    Text: ``NULLIF(x, '')`` (COPY quotes an empty string, ``csv.writer`` does not);
    datetimes: :data:`_PG_DATETIME`; dates ``YYYY-MM-DD``; booleans ``true``/``false``.
    """
    field = _model_field(model, path)
    if field is None:
        return None
    kind = field.get_internal_type()
    if kind in _PG_PLAIN:
        return F(path)
    if kind in _PG_TEXT:
        return Func(F(path), Value(""), function="NULLIF", output_field=CharField())
    if kind == "DateTimeField":
        return Func(F(path), template=_PG_DATETIME, output_field=CharField())
    if kind == "DateField":
        return Func(
            F(path), template="to_char(%(expressions)s, 'YYYY-MM-DD')", output_field=CharField()
        )
    if kind == "BooleanField":
        return Func(
            F(path),
            template="CASE WHEN %(expressions)s THEN 'true' WHEN NOT %(expressions)s THEN 'false' END",
            output_field=CharField(),
        )
    return None


def _copy_chunks(sql: str, columns: list[str], using: str, size: int = 512) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(columns).encode("utf-8")
    connection = connections[using]
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        # libpq hands COPY data over one row at a time, each ending with its "\n" (a newline
        # inside a quoted cell is never the last byte): "\r\n" ends rows, as csv.writer does.
        batch: list = []
        for row in copy:
            batch.append(row[:-1])
            if len(batch) >= size:
                yield b"\r\n".join(batch) + b"\r\n"
                batch = []
        if batch:
            yield b"\r\n".join(batch) + b"\r\n"


def stream_values(queryset, fields: list[str], columns: list[str], filename: str):
    """Stream ``queryset.values_list(*fields)`` (ordered as the queryset) as CSV ``columns``.

    On PostgreSQL, when every field has a :func:`pg_csv_expression`, the server formats
    the rows (``COPY (<the queryset's SQL>) TO STDOUT (FORMAT csv)``, read row by row:
    constant memory, no Python value per cell); the bytes are those of the Python path,
    :func:`stream_csv` over ``values_list(...).iterator()``, which any other database (or
    field type) takes.
    """
    connection = connections[queryset.db]
    expressions = (
        [pg_csv_expression(queryset.model, field) for field in fields]
        if connection.vendor == "postgresql"
        else [None]
    )
    if None in expressions:
        rows = queryset.values_list(*fields).iterator(chunk_size=2000)
        return stream_csv(rows, columns, filename)
    names = [f"csv_cell_{index}" for index in range(len(fields))]
    formatted = queryset.annotate(**dict(zip(names, expressions, strict=True))).values_list(*names)
    sql, params = formatted.query.get_compiler(using=queryset.db).as_sql()
    copy_sql = f"COPY ({connection.ops.compose_sql(sql, params)}) TO STDOUT (FORMAT csv)"
    response = StreamingHttpResponse(
        _copy_chunks(copy_sql, columns, queryset.db), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _chunks(queryset, size: int) -> Iterator[list]:
    objects = queryset.iterator(chunk_size=size) if hasattr(queryset, "iterator") else queryset
    objects = iter(objects)
    while chunk := list(islice(objects, size)):
        yield chunk


def stream_queryset(
    queryset,
    to_rows: Callable[[list], list[dict]],
    filename: str,
    *,
    columns=None,
    empty_columns: Callable[[], list[str]] | None = None,
) -> StreamingHttpResponse:
    """Stream ``queryset`` as CSV, ``CHUNK_SIZE`` objects at a time through ``to_rows``.

    ``to_rows`` turns a list of objects into dict rows (the JSON list's own row
    function, with a constant number of queries per call). ``columns``: fixed
    order, else the keys of the first chunk's rows (flattened), else (no rows)
    ``empty_columns()``.
    """
    chunks = (to_rows(chunk) for chunk in _chunks(queryset, CHUNK_SIZE))
    first = next(chunks, [])
    if columns is None:
        columns = columns_of([flatten(dict(row)) for row in first])
        if not columns and empty_columns is not None:
            columns = empty_columns()

    def rows():
        yield from first
        for chunk in chunks:
            yield from chunk

    return stream_csv(rows(), list(columns), filename)


def quantizing(columns: list[str], places: dict[str, int]) -> Callable[[tuple], list]:
    """A ``to_row`` for tuple rows that writes the ``places`` columns with that many decimals
    (computed SQL decimals come back unscaled on SQLite; the JSON list writes them scaled)."""
    steps = {columns.index(name): Decimal(1).scaleb(-digits) for name, digits in places.items()}

    def to_row(row: tuple) -> list:
        row = list(row)
        for index, step in steps.items():
            if row[index] is not None:
                row[index] = Decimal(row[index]).quantize(step)
        return row

    return to_row


def csv_download(rows: list[dict], filename: str) -> Response:
    """A 200 response whose rows :class:`CSVRenderer` writes, as an attachment ``filename``."""
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
):
    """Paginate ``queryset`` through the view's paginator (JSON) or stream it whole (CSV).

    ``to_rows`` turns a list of objects (one page, or one chunk of the export)
    into dict rows with a constant number of queries. ``extra`` keys are added
    to the JSON page (e.g. report totals). CSV columns: ``view.csv_columns``,
    else the row keys.
    """
    if wants_csv(view.request):
        return stream_queryset(
            queryset, to_rows, filename, columns=getattr(view, "csv_columns", None)
        )
    page = view.paginate_queryset(queryset)
    if page is None:
        return Response(to_rows(list(queryset)))
    response = view.get_paginated_response(to_rows(list(page)))
    if extra:
        response.data.update(extra)
    return response


class CSVListSchema(AutoSchema):
    """Documents ``format`` on the ``list`` action of a viewset that renders CSV."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if getattr(self.view, "action", None) == "list" and self.method == "GET":
            parameters = [*parameters, FORMAT_PARAM]
        return parameters


class CSVListMixin:
    """A model viewset's ``list`` also streams CSV (``?format=csv``), same filters and fields.

    ``csv_filename`` names the attachment (default: ``<basename>.csv``).
    """

    csv_filename: str | None = None
    schema = CSVListSchema()

    def list(self, request, *args, **kwargs):
        if not wants_csv(request):
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        name = self.csv_filename or f"{getattr(self, 'basename', None) or 'rows'}.csv"

        def readable_fields() -> list[str]:
            fields = self.get_serializer().fields
            return [name for name, field in fields.items() if not field.write_only]

        return stream_queryset(
            queryset,
            lambda objs: self.get_serializer(objs, many=True).data,
            name,
            columns=getattr(self, "csv_columns", None),
            empty_columns=readable_fields,
        )
