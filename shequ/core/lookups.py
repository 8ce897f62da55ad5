"""`field__any_of=[…]`: a field among many values, sent as one parameter.

A country's import names twenty thousand communities in each of a batch's queries. As
`field__in=[…]` each value is its own parameter: Django prepares every one, psycopg
splits a query of twenty thousand placeholders, PostgreSQL plans a list of twenty thousand
constants — more time than the queries took (docs/decisions/0025). `any_of` sends the
values as one array (PostgreSQL: `= ANY(%s)`, which is what PostgreSQL makes of an IN list
too) or one JSON text (SQLite: `IN (SELECT value FROM json_each(%s))`).

The values are sent as they are: ids and codes, ints and strings, which need no conversion
by their field (none is done, which is the point)."""

from __future__ import annotations

import json

from django.db import NotSupportedError
from django.db.models import Field, ForeignObject, Lookup, Q, QuerySet

INTEGER_TYPES = {"smallint", "integer", "bigint"}


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        # The type without its length: a value cast to varchar(12) would be cut to twelve
        # characters and match a code it is not.
        array_type = self.lhs.output_field.db_type(connection).split("(")[0]
        if array_type in INTEGER_TYPES:
            # Ids as the array's text ("{1,2,3}"), joined at C speed: psycopg dumps a list
            # of Python ints one element at a time.
            values = "{" + ",".join(map(str, values)) + "}"
        return f"{lhs} = ANY(%s::{array_type}[])", [*params, values]

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(list(self.rhs))]

    def as_sql(self, compiler, connection):
        raise NotSupportedError("any_of is written for PostgreSQL and SQLite only")


def register_lookups() -> None:
    Field.register_lookup(AnyOf)
    # A foreign key takes only the lookups registered from ForeignObject down.
    ForeignObject.register_lookup(AnyOf)


def among(field: str, values) -> Q:
    """`field` among `values`: a queryset as the subquery `IN (SELECT …)`, anything else
    (ids, codes) as one parameter (`any_of`)."""
    if isinstance(values, QuerySet):
        return Q(**{f"{field}__in": values})
    values = list(values)
    among_values = Q(**{f"{field}__any_of": values})
    if values and all(type(value) is int for value in values):
        # Ids also bounded by their range: a country's batch names ids close together, and
        # PostgreSQL then reads them by index instead of scanning the whole table.
        among_values &= Q(**{f"{field}__gte": min(values), f"{field}__lte": max(values)})
    return among_values
