"""`row_records` reads what Django's own query gives, value for value, type for type."""

from decimal import Decimal

import pytest

from shequ.ledger import records as records_module
from shequ.ledger.models import LedgerRow
from shequ.ledger.records import _STORED_COLUMNS, row_records

from .conftest import TIANSHENG
from .ledger_helpers import fill_street, open_period


@pytest.fixture
def period(beibei):
    period = open_period("2024H2")
    rows = fill_street(period, TIANSHENG, households=2000, service_center="500.0")
    varied = [
        {"police_room": Decimal("0.0"), "grocery": Decimal("12.5"), "remarks": "自有"},
        {"police_room": Decimal("40.0"), "police_room_in_center": True, "other": Decimal("0")},
        {"day_care": Decimal("500.0"), "warning_comments": {"center_small": "在建"}},
        {"service_center": None, "households": None, "compliance_year": 2023},
    ]
    for row, changes in zip(rows, varied, strict=False):
        LedgerRow.objects.filter(pk=row.pk).update(**changes)
    return period


@pytest.mark.parametrize("django_checked", [True, False], ids=["compiler", "fallback"])
def test_records_hold_the_values_and_types_of_a_plain_query(period, monkeypatch, django_checked):
    if not django_checked:  # another Django: the rows come from iterating the queryset
        monkeypatch.setattr(records_module, "CHECKED_DJANGO", (0, 0))
    rows = LedgerRow.objects.filter(period=period).order_by("community__code")
    columns = [c if c != "comments_text" else "warning_comments" for c in _STORED_COLUMNS]
    expected = list(rows.values_list(*columns))
    records = row_records(rows, period)
    assert len(records) == len(expected) > 4
    for record, values in zip(records, expected, strict=True):
        got = [getattr(record, column) for column in columns]
        assert got == list(values)
        assert [type(v) for v in got] == [type(v) for v in values]
        assert [str(v) for v in got] == [str(v) for v in values]  # Decimal("0.0"), not "0"


def test_no_rows_give_no_records(period):
    assert row_records(LedgerRow.objects.none(), period) == []


def test_equal_figures_are_one_object(period):
    """A country's rows hold millions of figures: equal ones are shared, on SQLite (one
    conversion each) and on PostgreSQL (one of psycopg's Decimals each)."""
    records = row_records(LedgerRow.objects.filter(period=period).order_by("pk"), period)
    centres = [r.service_center for r in records if r.service_center == Decimal("500.0")]
    assert len(centres) > 2 and all(c is centres[0] for c in centres)
