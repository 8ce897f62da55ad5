"""The yearly targets: which share of communities must comply, and the standard.

Resolution rule (ADR 0008): for a region and a year, the target in force is the latest one
set for that year or an earlier one, on the region or any region above it; between two of
the same year the nearer region wins. So a street's own target stands until the district
sets a newer one, and the district's 80 % of 2022 goes on for later years.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from shequ.compliance.models import Target
from shequ.core.settings_store import setting_get
from shequ.ledger import rules

DEFAULT_STANDARD = Decimal("30")
STANDARD_SETTING = "ledger.standard"


@dataclass(frozen=True)
class TargetEntry:
    year: int
    path: str
    share: Decimal
    standard: Decimal | None


class TargetBook:
    """Every target up to a year, loaded once, resolved for any region without queries."""

    def __init__(self, entries: list[TargetEntry]):
        self.entries = entries

    @classmethod
    def load(cls, up_to_year: int | None = None) -> TargetBook:
        targets = Target.objects.all()
        if up_to_year is not None:
            targets = targets.filter(year__lte=up_to_year)
        rows = targets.values_list("year", "region__path", "share", "standard")
        return cls([TargetEntry(*row) for row in rows])

    def entry(self, path: str, year: int) -> TargetEntry | None:
        candidates = [e for e in self.entries if e.year <= year and path.startswith(e.path)]
        return max(candidates, key=lambda e: (e.year, len(e.path)), default=None)

    def share(self, path: str, year: int) -> Decimal | None:
        entry = self.entry(path, year)
        return entry.share if entry else None

    def standard(self, year: int) -> Decimal:
        stated = [e for e in self.entries if e.year <= year and e.standard is not None]
        latest = max(stated, key=lambda e: e.year, default=None)
        return latest.standard if latest else self.default_standard

    @cached_property
    def default_standard(self) -> Decimal:
        """The standard where no target states one, read once per book (not per period)."""
        return default_standard()


def default_standard() -> Decimal:
    stored = setting_get(STANDARD_SETTING)
    return Decimal(str(stored)) if stored is not None else DEFAULT_STANDARD


def standard_for_year(year: int) -> Decimal:
    """m² per 100 households in force in `year` (one query)."""
    stated = (
        Target.objects.filter(year__lte=year, standard__isnull=False)
        .order_by("-year")
        .values_list("standard", flat=True)
        .first()
    )
    return stated if stated is not None else default_standard()


def thresholds_for(year: int) -> rules.Thresholds:
    """The ledger's thresholds with `year`'s standard: what the ledger's checks take."""
    return rules.thresholds(standard=standard_for_year(year))
