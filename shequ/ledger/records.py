"""A period's ledger rows as plain records, for the readers that take a whole district or
city at once (the import's dry run, the workbook export).

Instantiating a city's LedgerRows with their community and street took most of a
city-scale import or export; a values query into slotted records takes far less. A record has
the attributes of LedgerRow that the rules, the import and the export read, so the same
functions take either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

import django
from django.db.models import QuerySet, TextField
from django.db.models.expressions import Col
from django.db.models.functions import Cast
from django.db.models.sql.constants import MULTI

from shequ.ledger.fields import INPUT_FIELDS, InputValues
from shequ.ledger.models import LedgerRow, Period

# The Django whose SQL compiler `read_values` was checked against (the lock files' 5.2).
CHECKED_DJANGO = (5, 2)


class Place(NamedTuple):
    """A community or a street, with the attributes of Region these readers use."""

    pk: int
    code: str
    name: str
    path: str
    urban_rural_class: str


_ROW_COLUMNS = ("pk", "period_id", "community_id", "street_id", "version", "comments_text")
_STORED_COLUMNS = (*_ROW_COLUMNS, *INPUT_FIELDS)
_PLACE_COLUMNS = ("code", "name", "path", "urban_rural_class")


class RowRecord(InputValues):
    """One stored ledger row; `community` and `street` are Places, `period` the Period."""

    __slots__ = (
        *(name for name in _STORED_COLUMNS if name != "comments_text"),
        "warning_comments",
        "total_area",
        "period",
        "community",
        "street",
    )
    # The other slots' types, as LedgerRow's fields read (the inputs' are InputValues').
    pk: int
    period_id: int
    community_id: int
    street_id: int
    version: int
    warning_comments: dict[str, str]
    total_area: Decimal
    period: Period
    community: Place
    street: Place

    def take(self, stored: tuple) -> None:
        """The values of _STORED_COLUMNS, in their order (a test holds the two together).
        Written out: one unpacking stores a city's rows six times faster than setattr."""
        (
            self.pk,
            self.period_id,
            self.community_id,
            self.street_id,
            self.version,
            comments,
            self.households,
            self.resident_households,
            self.service_center,
            self.police_room,
            self.day_care,
            self.health_station,
            self.culture_room,
            self.grocery,
            self.other,
            self.police_room_in_center,
            self.day_care_in_center,
            self.health_station_in_center,
            self.culture_room_in_center,
            self.compliance_year,
            self.remarks,
        ) = stored
        self.warning_comments = _comments(comments)

    def __repr__(self) -> str:
        return f"<RowRecord {self.period} {self.community.name}>"


def row_records(rows: QuerySet[LedgerRow], period: Period) -> list[RowRecord]:
    """The rows of `rows` (all of `period`) as records, in the queryset's order."""
    communities = [f"community__{name}" for name in _PLACE_COLUMNS]
    streets = [f"street__{name}" for name in _PLACE_COLUMNS]
    width = len(_STORED_COLUMNS)
    street_places: dict[int, Place] = {}
    records = []
    # The comments as text: most rows have none, and decoding "{}" through the JSON
    # field for each of a city's rows took a seventh of the read.
    rows = rows.annotate(comments_text=Cast("warning_comments", TextField()))
    for values in read_values(rows.values_list(*_STORED_COLUMNS, *communities, *streets)):
        record = RowRecord()
        record.take(values[:width])
        record.period = period
        record.community = Place(record.community_id, *values[width : width + 4])
        street = street_places.get(record.street_id)
        if street is None:
            street = street_places[record.street_id] = Place(record.street_id, *values[width + 4 :])
        record.street = street
        records.append(record)
    return records


def _comments(text: str | None) -> dict:
    return json.loads(text) if text and text != "{}" else {}


# Columns whose converted values cannot be changed by their readers, so that one value
# may stand for all the rows that hold it.
_SHAREABLE = {"DecimalField", "BooleanField"}


class _Converted(dict):
    """One column's database values as Django converts them, each distinct value once."""

    def __init__(self, converters, expression, connection):
        super().__init__()
        self.converters, self.expression, self.connection = converters, expression, connection
        self[None] = self.convert(None)
        # 0, 0.0 and -0.0 are equal keys but a decimal converts them apart (Decimal("-0.0")),
        # so a decimal's zeros are converted each time; a boolean's are all False, and
        # most of a ledger's flags are 0.
        self.keeps_zero = expression.output_field.get_internal_type() == "BooleanField"

    def convert(self, value):
        for converter in self.converters:
            value = converter(value, self.expression, self.connection)
        return value

    def __missing__(self, value):
        converted = self.convert(value)
        if value or self.keeps_zero:
            self[value] = converted
        return converted


class _Shared(dict):
    """One column's values, each distinct non-zero value kept as one object."""

    def __missing__(self, value):
        if value:  # as in _Converted: equal zeros need not be written alike
            self[value] = value
        return value


def read_values(queryset: QuerySet) -> Iterator[tuple]:
    """A values_list queryset's rows, converted as iterating it converts them, except that a
    decimal or boolean column converts each distinct value once: on SQLite Django makes a
    Decimal of every area from its float (create_decimal_from_float, quantize), and a
    city's areas repeat. Each batch the cursor fetches is converted a column at a time:
    `map` over a column runs its lookups without a Python loop over every cell.

    A decimal column that needs no conversion (PostgreSQL's numeric) shares its equal
    values instead: psycopg makes a new Decimal of each, five a row, which a country's
    rows held by the hundreds of megabytes. Its values all have the column's scale, so
    equal ones are written alike.

    This drives Django's SQL compiler (`execute_sql`, `select`, `get_converters`), which is
    not a public API: on any Django but the one it was checked against (`CHECKED_DJANGO`)
    the rows come from iterating the queryset, the same tuples at Django's own speed, so
    that an upgrade is never blocked and never reads wrong values."""
    if django.VERSION[:2] != CHECKED_DJANGO:
        yield from queryset
        return
    compiler = queryset.query.get_compiler(queryset.db)
    results = compiler.execute_sql(MULTI)
    columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(columns)
    steps = []
    for position, column in enumerate(columns):
        if position in converters:
            converted = _Converted(*converters[position], compiler.connection)
            shareable = column.output_field.get_internal_type() in _SHAREABLE
            steps.append((position, converted.__getitem__ if shareable else converted.convert))
        elif isinstance(column, Col) and column.output_field.get_internal_type() == "DecimalField":
            steps.append((position, _Shared().__getitem__))
    for batch in results:
        if not steps:
            yield from batch
            continue
        by_column = list(zip(*batch, strict=True))
        for position, convert in steps:
            by_column[position] = map(convert, by_column[position])
        yield from zip(*by_column, strict=True)
