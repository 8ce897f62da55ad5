"""Writing many rows at once: on PostgreSQL COPY for new rows and one UPDATE over arrays
(UNNEST) for changed ones; executemany elsewhere.

A city import writes 11,000 ledger rows and 11,000 audit rows in one transaction. Django's
bulk_create spends most of that in Python, per object and per field, and bulk_update's
CASE expressions grow with every row; PostgreSQL loads and joins whole columns fastest, and
SQLite's executemany is a loop in C.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import models, transaction


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: list[list]) -> None:
    """INSERT one row per list of values (in `field_names`' order); ids are not read back."""
    if not rows:
        return
    connection = transaction.get_connection()
    fields = [model._meta.get_field(name) for name in field_names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    prepared = _prepared(fields, rows, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: PostgreSQL's own bulk load, a third of the time of one INSERT over arrays.
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in prepared:
                    copy.write_row(values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)


def update_rows(model: type[models.Model], field_names: Sequence[str], rows: list[list]) -> None:
    """UPDATE the row whose primary key is each list's first value with the values after it
    (in `field_names`' order)."""
    if not rows:
        return
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    key = model._meta.pk
    fields = [model._meta.get_field(name) for name in field_names]
    table = quote(model._meta.db_table)
    prepared = _prepared([key, *fields], rows, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The new values are columns c0 (the key), c1, … of the unnested arrays.
            assignments = ", ".join(
                f"{quote(f.column)} = new.c{index}" for index, f in enumerate(fields, start=1)
            )
            aliases = ", ".join(f"c{index}" for index in range(len(fields) + 1))
            arrays = _unnest([key, *fields], connection)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {arrays} AS new({aliases}) "
                f"WHERE {table}.{quote(key.column)} = new.c0",
                _columns(prepared),
            )
        else:
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
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
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DecimalField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}
_DRIVER_TYPES = (type(None), bool, int, str, Decimal)


def _prepared(fields: list, rows: list[list], connection) -> list[list]:
    """Each value as the database driver takes it (JSON wrapped, and so on)."""
    preparers = [_preparer(field, connection) for field in fields]
    return [[prepare(value) for prepare, value in zip(preparers, row, strict=True)] for row in rows]


def _preparer(field, connection):
    prepare = field.get_db_prep_save
    if field.get_internal_type() not in _PASSED_AS_IS:
        return lambda value: prepare(value, connection)
    return lambda value: value if type(value) in _DRIVER_TYPES else prepare(value, connection)


def _unnest(fields: list, connection) -> str:
    # Array types without their modifiers (numeric, not numeric(9, 1)), as Django's own
    # UNNEST insert does; the table's column types apply on writing. %b sends the arrays
    # in psycopg's binary format, which it builds faster than quoted text.
    types = [field.db_type(connection).split("(")[0] for field in fields]
    return "unnest({})".format(", ".join(f"%b::{db_type}[]" for db_type in types))


def _columns(rows: list[list]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]
