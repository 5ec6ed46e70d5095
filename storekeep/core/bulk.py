"""Fast multi-row writes for the hot paths (ledger rows, sale lines, stock items).

Django's ``bulk_create`` and ``bulk_update`` prepare every value through each
field (``get_db_prep_save``) and, for updates, build a ``CASE WHEN`` per row:
about half the Python time of a checkout, which dominates a year-long replay.
On PostgreSQL these helpers send the same rows as one ``INSERT … SELECT FROM
unnest(…) RETURNING id`` or one ``UPDATE … FROM unnest(…)``, with values psycopg adapts
natively (Decimal, int, str, bool, aware datetime, None), one array per column
bound on the server in binary (no quoting and escaping of every value into the
statement text, and the statement is prepared once per connection). Other
backends fall back to the ORM, so behaviour is the same everywhere.

Only for models whose written fields are plain scalars (no JSON, no custom
field conversions); callers pass model instances with attributes set.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from operator import attrgetter

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from .db import bound_cursor

#: Rows per statement (bounds the size of one message to the server).
_MAX_ROWS = 5000


def _plain(value):
    # psycopg dumps an Enum by its *name*; a TextChoices member must be stored by its value.
    return value.value if isinstance(value, enum.Enum) else value


_TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField"})


def _columns(objs, fields) -> list[list]:
    """One list of values per field (by attname), transposed in C; in text and
    choices columns, members of a choices enum are stored by value."""
    if len(fields) == 1:
        values = [[getattr(obj, fields[0].attname) for obj in objs]]
    else:
        getter = attrgetter(*(f.attname for f in fields))
        values = [list(column) for column in zip(*map(getter, objs), strict=True)]
    for index, field in enumerate(fields):
        if field.choices is not None or field.get_internal_type() in _TEXT_TYPES:
            values[index] = [_plain(value) for value in values[index]]
    return values


def _array_type(field) -> str:
    return f"{field.db_type(connection)}[]"


def _fields(model: type[models.Model], names: Sequence[str] | None) -> list:
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    if names is None:
        return concrete
    by_name = {f.name: f for f in concrete}
    return [by_name[name] for name in names]


@functools.cache
def _insert_statement(model: type[models.Model]) -> tuple[str, list, list, list]:
    """(SQL, fields, auto-now fields, relations) of :func:`insert_rows` for ``model`` (PostgreSQL)."""
    fields = _fields(model, None)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%b::{_array_type(f)}" for f in fields)
    # One array per column: the statement text is the same whatever the number of rows,
    # so the server prepares it once (a VALUES list of N rows would be a new statement each time).
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) RETURNING id"
    auto = [f for f in fields if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)]
    return sql, fields, auto, [f for f in fields if f.is_relation]


@functools.cache
def _update_statement(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, list]:
    """(SQL, fields) of :func:`update_rows` for ``model`` and the field ``names`` (PostgreSQL)."""
    fields = _fields(model, names)
    quote = connection.ops.quote_name
    aliases = ", ".join(f"c{i}" for i in range(len(fields)))
    assignments = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields))
    arrays = ", ".join(f"%b::{_array_type(f)}" for f in fields)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "
        f"FROM unnest(%b::bigint[], {arrays}) AS v(id, {aliases}) WHERE t.id = v.id"
    )
    return sql, fields


def insert_rows(model: type[models.Model], objs: list[models.Model]) -> list[models.Model]:
    """Insert ``objs`` (new instances) in as few statements as possible; sets their pks.

    Same result as ``model.objects.bulk_create(objs)``.
    """
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    sql, fields, auto, relations = _insert_statement(model)
    for field in auto:  # as Model.save / bulk_create would set them
        for obj in objs:
            field.pre_save(obj, add=True)
    # A relation assigned as an object saved after the instance was built (a new lot)
    # carries its pk only on the object: copy it, as bulk_create does.
    for obj in objs:
        for field in relations:
            if getattr(obj, field.attname) is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    setattr(obj, field.attname, related.pk)
    with bound_cursor() as cursor:
        for start in range(0, len(objs), _MAX_ROWS):
            chunk = objs[start : start + _MAX_ROWS]
            cursor.execute(sql, _columns(chunk, fields))
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
    return objs


def update_rows(model: type[models.Model], objs: list[models.Model], names: Sequence[str]) -> None:
    """Write the fields ``names`` of existing ``objs`` by primary key (one statement on PostgreSQL).

    Same result as ``model.objects.bulk_update(objs, names)`` without the per-row
    ``CASE WHEN``; on other backends one ``executemany`` of an UPDATE by pk.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        fields = _fields(model, names)
        quote = connection.ops.quote_name
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET "
            + ", ".join(f"{quote(f.column)} = %s" for f in fields)
            + " WHERE id = %s"
        )
        params = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        return
    sql, fields = _update_statement(model, tuple(names))
    with bound_cursor() as cursor:
        for start in range(0, len(objs), _MAX_ROWS):
            chunk = objs[start : start + _MAX_ROWS]
            cursor.execute(sql, [[obj.pk for obj in chunk], *_columns(chunk, fields)])


class RowFactory:
    """Builds new, unsaved instances of ``model`` like ``model(**values)``, faster.

    ``Model.__init__`` walks every field through its descriptor; a replay
    builds hundreds of thousands of ledger rows and sale lines, where that walk
    is a tenth of the run. The factory fills the instance's ``__dict__`` with
    the same values (field defaults, callables called per instance) and sets
    relations given as objects the way the descriptor does (``<name>_id`` and
    the related-object cache). ``values`` are keyword arguments by field name
    (a related object) or attname (``<name>_id``). A model with ``pre_init`` /
    ``post_init`` receivers is built with ``__init__``.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.constants: dict[str, object] | None = None  # read from the model at first use

    def _prepare(self) -> None:
        constants: dict[str, object] = {}
        self.callables: list[tuple[str, Callable[[], object]]] = []
        for field in self.model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                self.callables.append((field.attname, field.default))
            else:
                constants[field.attname] = field.get_default()
        self.relations = {
            f.name: (f.attname, f.target_field.attname)
            for f in self.model._meta.concrete_fields
            if f.is_relation
        }
        self.relation_names = frozenset(self.relations)
        self.known = (
            frozenset(constants) | {attname for attname, _ in self.callables} | self.relation_names
        )
        self.constants = constants

    def __call__(self, **values) -> models.Model:
        model = self.model
        if (pre_init.receivers or post_init.receivers) and (
            pre_init.has_listeners(model) or post_init.has_listeners(model)
        ):
            return model(**values)
        if self.constants is None:
            self._prepare()
        unknown = values.keys() - self.known
        if unknown:
            raise TypeError(
                f"{model.__name__}() got unexpected keyword arguments {sorted(unknown)}"
            )
        obj = model.__new__(model)
        state = obj._state = ModelState()
        data = obj.__dict__
        data.update(self.constants)
        for attname, default in self.callables:
            if attname not in values:
                data[attname] = default()
        data.update(values)
        for name in self.relation_names & values.keys():
            value = data.pop(name)
            attname, target = self.relations[name]
            data[attname] = None if value is None else getattr(value, target)
            state.fields_cache[name] = value
        return obj
