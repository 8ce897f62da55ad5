"""Finding a community from the name people write. The only place names are matched.

Streets write `新星路社区`, `新星路社区居委会`, `新星路社区居民委员会`, with full-width
characters or stray spaces: all the same community. The matcher never guesses: a name
that fits two communities comes back ambiguous with both.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from shequ.core.periods import PeriodCode
from shequ.regions.history import communities_as_of
from shequ.regions.levels import Level
from shequ.regions.models import Region

# Longest first, so that 居民委员会 is stripped whole rather than as 委员会.
_COMMITTEE_SUFFIXES = ("居民委员会", "村民委员会", "居委会", "村委会")
_VILLAGE_SUFFIXES = ("村民委员会", "村委会")
_KIND_WORDS = ("社区", "村")
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Fold full-width forms and spaces, and drop the 居委会/村委会 suffix.

    新星路社区居民委员会 → 新星路社区; 三溪村村民委员会 and 三溪村委会 → 三溪村.
    """
    folded = _SPACES.sub("", unicodedata.normalize("NFKC", text or ""))
    for suffix in _COMMITTEE_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            kept = folded[: -len(suffix)]
            if suffix in _VILLAGE_SUFFIXES and not kept.endswith("村"):
                kept += "村"  # 三溪村委会: the 村 of the name was written once
            return kept
    return folded


def name_stem(normalized: str) -> str:
    """The name without its kind word: 运河社区 and 运河村 both have the stem 运河."""
    for word in _KIND_WORDS:
        if normalized.endswith(word) and len(normalized) > len(word):
            return normalized[: -len(word)]
    return normalized


class MatchStatus(Enum):
    FOUND = "found"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not_found"


@dataclass
class NameMatch:
    query: str
    status: MatchStatus
    region: Region | None = None
    candidates: list[Region] = field(default_factory=list)
    looking_for: str = Level.COMMUNITY

    @property
    def found(self) -> bool:
        return self.status is MatchStatus.FOUND

    def message(self, where: str = "") -> str:
        """The problem in Chinese, for imports and forms."""
        place = f"{where}中" if where else ""
        what = self.what
        if self.status is MatchStatus.AMBIGUOUS:
            names = "、".join(f"{c.name}（{c.code}）" for c in self.candidates)
            return f"“{self.query}”对应{place}多个{what}：{names}，请写完整名称"
        if self.status is MatchStatus.NOT_FOUND:
            return f"{place}找不到{what}“{self.query}”"
        return ""

    @property
    def what(self) -> str:
        kinds = {c.level for c in self.candidates}
        return "街镇" if kinds == {Level.STREET} or self.looking_for == Level.STREET else "社区/村"


class CommunityNameIndex:
    """The communities of one street or district, indexed once for many look-ups."""

    def __init__(self, communities: list[tuple[Region, str]]):
        self._exact: dict[str, list[Region]] = defaultdict(list)
        self._normalized: dict[str, list[Region]] = defaultdict(list)
        self._stem: dict[str, list[Region]] = defaultdict(list)
        for region, name in communities:
            normalized = normalize_name(name)
            self._exact[name.strip()].append(region)
            self._normalized[normalized].append(region)
            self._stem[name_stem(normalized)].append(region)

    @classmethod
    def build(cls, within: Region, period: PeriodCode | None = None) -> CommunityNameIndex:
        """Index the communities under `within`: as they are now, or as they were in `period`."""
        if period is None:
            communities = Region.objects.active().communities().within(within)
            return cls([(region, region.name) for region in communities])
        versions = communities_as_of(period, within=within)
        return cls([(version.region, version.name) for version in versions])

    def find(self, text: str) -> NameMatch:
        query = (text or "").strip()
        normalized = normalize_name(query)
        if not normalized:
            return NameMatch(query, MatchStatus.NOT_FOUND)
        # Each step is tried only when the stricter one before found nothing.
        for candidates in (
            self._exact.get(query),
            self._normalized.get(normalized),
            # 运河 → 运河社区 or 运河村; never 运河村 → 运河社区 (that would be a guess).
            self._stem.get(normalized),
        ):
            if candidates:
                return _decide(query, candidates)
        return NameMatch(query, MatchStatus.NOT_FOUND)


def _decide(query: str, candidates: list[Region]) -> NameMatch:
    unique = list({region.pk: region for region in candidates}.values())
    if len(unique) == 1:
        return NameMatch(query, MatchStatus.FOUND, region=unique[0], candidates=unique)
    return NameMatch(query, MatchStatus.AMBIGUOUS, candidates=sorted(unique, key=lambda r: r.code))


def find_community(text: str, *, within: Region, period: PeriodCode | None = None) -> NameMatch:
    """Find one community under a street or district from a written name."""
    return CommunityNameIndex.build(within, period).find(text)


_STREET_SUFFIXES = ("街道办事处", "街道", "镇", "乡")


def _street_stem(name: str) -> str:
    folded = _SPACES.sub("", unicodedata.normalize("NFKC", name or ""))
    for suffix in _STREET_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return folded[: -len(suffix)]
    return folded


def find_street(text: str, *, within: Region) -> NameMatch:
    """A street under `within` by its 9-digit code or its name (天生街道, 天生街道办事处, 天生)."""
    query = (text or "").strip()
    streets = list(
        Region.objects.filter(level=Level.STREET, path__startswith=within.path).order_by("code")
    )
    by_code = [s for s in streets if s.code == query]
    by_name = [s for s in streets if s.name == query]
    by_stem = [s for s in streets if _street_stem(s.name) == _street_stem(query)]
    for candidates in (by_code, by_name, by_stem):
        if candidates:
            return _decide(query, candidates)
    return NameMatch(query, MatchStatus.NOT_FOUND, looking_for=Level.STREET)
