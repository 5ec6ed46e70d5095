"""Lookups Storekeep adds to every model field."""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AnyOfMixin:
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = list(dict.fromkeys(value for value in self.rhs if value is not None))
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, values)


@Field.register_lookup
class AnyOf(_AnyOfMixin, In):
    """``field__any_of=values``: the same rows as ``field__in=values``.

    On PostgreSQL the values travel as one array parameter (``field = ANY(%s)``)
    instead of one placeholder each, so Django and psycopg do not process
    every value as a parameter of its own, and the statement text is the same
    whatever their number. The stock engine locks and reads hundreds of items
    per checkout batch this way. Other backends compile it as ``IN``.
    """


@ForeignObject.register_lookup
class RelatedAnyOf(_AnyOfMixin, RelatedIn):
    """``fk__any_of=values`` (ids or objects): :class:`AnyOf` for relations."""
