"""Writing many rows at once: on PostgreSQL COPY for new rows; executemany elsewhere and
for changed rows. (A city import's changed rows and their audit rows go through
`core.audited_updates`, which on PostgreSQL copies them into a temporary table.)

A city import writes 11,000 ledger rows and 11,000 audit rows in one transaction. Django's
bulk_create spends most of that in Python, per object and per field, and bulk_update's
CASE expressions grow with every row; PostgreSQL loads whole tables fastest, and SQLite's
executemany is a loop in C.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from functools import partial

from django.db import models, transaction


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: list[list]) -> None:
    """INSERT one row per list of values (in `field_names`' order); ids are not read back."""
    if not rows:
        return
    connection = transaction.get_connection()
    fields = [model._meta.get_field(name) for name in field_names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    prepared = prepared_values(fields, rows, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: PostgreSQL's own bulk load, a third of the time of one INSERT over arrays.
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in prepared:
                    copy.write_row(values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)


def update_rows(
    model: type[models.Model], field_names: Sequence[str], rows: Sequence[Sequence]
) -> None:
    """UPDATE the row whose primary key is each list's first value with the values after it
    (in `field_names`' order). For many rows with their audit rows, use
    `core.audited_updates.AuditedUpdates`, which is faster on PostgreSQL."""
    if not rows:
        return
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    key = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    table = quote(model._meta.db_table)
    prepared = prepared_values([key, *fields], rows, connection)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {quote(key.column)} = %s",
            [[*values[1:], values[0]] for values in prepared],
        )


def analyze(*models: type[models.Model]) -> None:
    """Refresh PostgreSQL's statistics of tables just filled in bulk. Until autovacuum
    comes round the planner takes a table of 600,000 new rows for an empty one, and a
    country's carry-forward ran for minutes in nested loops instead of seconds."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


# Field types whose preparation returns a value of these Python types unchanged: such
# values go to the driver as they are (preparing 200,000 of them one by one is the slowest
# part of writing a city import otherwise). JSON, dates and the rest are always prepared.
_PASSED_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DecimalField",
    "ForeignKey",  # prepared as the key it refers to
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}
_DRIVER_TYPES = frozenset((type(None), bool, int, str, Decimal))


def prepared_values(fields: list, rows: list[list], connection) -> list[tuple]:
    """Each value as the database driver takes it (JSON wrapped, and so on), column by
    column: a column the driver takes as it is costs one pass of type checks."""
    columns = [
        _prepared_column(field, column, connection)
        for field, column in zip(fields, zip(*rows, strict=True), strict=True)
    ]
    return list(zip(*columns, strict=True))


def _prepared_column(field, column: tuple, connection) -> Sequence:
    kind = field.get_internal_type()
    if kind == "JSONField":
        return json_texts(field, column)
    prepare = field.get_db_prep_save
    if kind in _PASSED_AS_IS:
        # The types of a column's values, gathered in C: usually all the driver's own.
        if set(map(type, column)) <= _DRIVER_TYPES:
            return column
        return [
            value if type(value) in _DRIVER_TYPES else prepare(value, connection)
            for value in column
        ]
    if len(set(map(id, column))) == 1:
        # One value for every row (the moment of an audited write): prepared once.
        return [prepare(column[0], connection)] * len(column)
    return [prepare(value, connection) for value in column]


def json_texts(field, column: tuple) -> list[str | None]:
    """Each value as JSON text: what Django's preparation makes the driver send (on
    PostgreSQL psycopg's Jsonb wrapper dumps it with the same json.dumps as the row is
    written), and COPY takes text for a jsonb column as SQLite does. Without a wrapper per
    value a city import's 11,000 audit changes are written in 70 % of the time. None stays
    SQL NULL, as in JSONField.get_db_prep_save."""
    dumps = json.dumps if field.encoder is None else partial(json.dumps, cls=field.encoder)
    # Most rows' warning comments are {}: the same text, without dumping it each time.
    return [None if value is None else "{}" if value == {} else dumps(value) for value in column]
