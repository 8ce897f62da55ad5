"""Half-year period codes (`2024H1`, `2024H2`) as values.

Only the calendar lives here: parsing, ordering and the Chinese label. The Period model and
its deadlines belong to the ledger; regions refer to periods by code so that a change can
take effect from a period nobody has opened yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The years a budget, a plan's target or a page's `?year=` may name.
FIRST_YEAR, LAST_YEAR = 2000, 2100

_CODE = re.compile(r"^(\d{4})H([12])$")
_LABEL = re.compile(r"^(\d{4})年(上|下)半年$")


class PeriodCodeError(ValueError):
    """A text that is neither `YYYYH1`/`YYYYH2` nor `YYYY年上半年`/`YYYY年下半年`."""


@dataclass(frozen=True, order=True)
class PeriodCode:
    year: int
    half: int  # 1 = 上半年, 2 = 下半年

    @classmethod
    def parse(cls, text: str) -> PeriodCode:
        raw = (text or "").strip().upper()
        match = _CODE.match(raw) or _LABEL.match((text or "").strip())
        if not match:
            raise PeriodCodeError(f"报告期“{text}”格式不对，应为 2024H1 或 2024年上半年")
        year, half = int(match.group(1)), match.group(2)
        half_number = {"1": 1, "2": 2, "上": 1, "下": 2}[half]
        if not 1949 <= year <= 2200:
            raise PeriodCodeError(f"报告期“{text}”的年份超出范围")
        return cls(year, half_number)

    @classmethod
    def from_ordinal(cls, ordinal: int) -> PeriodCode:
        return cls(ordinal // 2, ordinal % 2 + 1)

    @property
    def ordinal(self) -> int:
        """A dense integer that sorts periods: consecutive halves differ by one."""
        return self.year * 2 + self.half - 1

    @property
    def code(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def label(self) -> str:
        return f"{self.year}年{'上' if self.half == 1 else '下'}半年"

    def next(self) -> PeriodCode:
        return PeriodCode.from_ordinal(self.ordinal + 1)

    def previous(self) -> PeriodCode:
        return PeriodCode.from_ordinal(self.ordinal - 1)

    def __str__(self) -> str:
        return self.code


def period_label(ordinal: int | None) -> str:
    """Label of a stored ordinal; None and 0 mean "since the data was first loaded"."""
    if not ordinal:
        return "初始"
    return PeriodCode.from_ordinal(ordinal).label
