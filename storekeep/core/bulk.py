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
from collections.abc import Callable, Sequence

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

#: Rows per statement (bounds the size of one message to the server).
_MAX_ROWS = 5000


def _plain(value):
    # psycopg dumps an Enum by its *name*; a TextChoices member must be stored by its value.
    return value.value if isinstance(value, enum.Enum) else value


def _array_type(field) -> str:
    return f"{field.db_type(connection)}[]"


def _binary_cursor():
    """A cursor on Django's connection that binds parameters on the server (``%b``: binary).

    Wrapped like Django's own cursors, so query logging, ``execute_wrapper``
    and query-count assertions see its statements.
    """
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = psycopg.Cursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _fields(model: type[models.Model], names: Sequence[str] | None) -> list:
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    if names is None:
        return concrete
    by_name = {f.name: f for f in concrete}
    return [by_name[name] for name in names]


def insert_rows(model: type[models.Model], objs: list[models.Model]) -> list[models.Model]:
    """Insert ``objs`` (new instances) in as few statements as possible; sets their pks.

    Same result as ``model.objects.bulk_create(objs)``.
    """
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    fields = _fields(model, None)
    for field in fields:  # defaults and auto_now_add, as Model.save / bulk_create would set
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            for obj in objs:
                field.pre_save(obj, add=True)
    # A relation assigned as an object saved after the instance was built (a new lot)
    # carries its pk only on the object: copy it, as bulk_create does.
    relations = [f for f in fields if f.is_relation]
    for obj in objs:
        for field in relations:
            if getattr(obj, field.attname) is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    setattr(obj, field.attname, related.pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%b::{_array_type(f)}" for f in fields)
    attnames = [f.attname for f in fields]
    # One array per column: the statement text is the same whatever the number of rows,
    # so psycopg parses it once (a VALUES list of N rows would be a new statement each time).
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}) RETURNING id"
    with _binary_cursor() as cursor:
        for start in range(0, len(objs), _MAX_ROWS):
            chunk = objs[start:start + _MAX_ROWS]
            cursor.execute(sql, [[_plain(getattr(obj, name)) for obj in chunk] for name in attnames])
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
    fields = _fields(model, names)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    if connection.vendor != "postgresql":
        sql = (f"UPDATE {table} SET " + ", ".join(f"{quote(f.column)} = %s" for f in fields)
               + " WHERE id = %s")
        params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
                  for obj in objs]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        return
    aliases = ", ".join(f"c{i}" for i in range(len(fields)))
    assignments = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields))
    arrays = ", ".join(f"%b::{_array_type(f)}" for f in fields)
    sql = (f"UPDATE {table} AS t SET {assignments} FROM unnest(%b::bigint[], {arrays}) AS v(id, {aliases}) "
           f"WHERE t.id = v.id")
    with _binary_cursor() as cursor:
        for start in range(0, len(objs), _MAX_ROWS):
            chunk = objs[start:start + _MAX_ROWS]
            cursor.execute(sql, [[obj.pk for obj in chunk]]
                           + [[_plain(getattr(obj, f.attname)) for obj in chunk] for f in fields])


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
        self.attnames = set(constants) | {attname for attname, _ in self.callables}
        self.constants = constants

    def __call__(self, **values) -> models.Model:
        model = self.model
        if (pre_init.receivers or post_init.receivers) and (
            pre_init.has_listeners(model) or post_init.has_listeners(model)
        ):
            return model(**values)
        if self.constants is None:
            self._prepare()
        obj = model.__new__(model)
        state = obj._state = ModelState()
        data = obj.__dict__
        data.update(self.constants)
        for attname, default in self.callables:
            if attname not in values:
                data[attname] = default()
        for name, value in values.items():
            relation = self.relations.get(name)
            if relation is not None:
                attname, target = relation
                data[attname] = None if value is None else getattr(value, target)
                state.fields_cache[name] = value
            elif name in self.attnames:
                data[name] = value
            else:
                raise TypeError(f"{model.__name__}() got an unexpected keyword argument '{name}'")
        return obj
