"""Argument types of the verbs: a value that cannot be read at all (a period code that is
none, a date that is none, a year out of range) is a usage error — argparse's exit 2
with the Chinese reason — before the verb touches anything. Each returns the text as
given (the verb reads it as before); only its form is checked here, whether the period
is open or the street exists is the verb's to say (exit 1, refused). ADR 0038."""

from __future__ import annotations

import argparse
import datetime

from shequ.core.periods import FIRST_YEAR, LAST_YEAR, PeriodCode, PeriodCodeError


def period_code(text: str) -> str:
    """`2026H2` or `2026年下半年`."""
    try:
        PeriodCode.parse(text)
    except PeriodCodeError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def iso_date(text: str) -> str:
    """`YYYY-MM-DD`, a day the calendar has."""
    try:
        datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日期“{text}”不对，应为 YYYY-MM-DD 格式的日期，如 2026-10-30"
        ) from None
    return text


def year(text: str) -> int:
    """A year from FIRST_YEAR to LAST_YEAR."""
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"年度“{text}”不对，应为 {FIRST_YEAR} 至 {LAST_YEAR} 的年份"
        )
    return int(value)
