"""A synthetic country: 全国 → provinces → cities → counties → streets → communities.

The shape follows the real one at full size (31 provinces, about 330 cities, 3,000
counties, 37,000 streets, 600,000 communities: about 16 communities a street) and shrinks
with N. Codes follow the statistical code's structure, so that the code rules (街道/镇,
社区/村) and the import's code column work on them as on real ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from shequ.regions.levels import Level

ROOT_CODE = "0"
ROOT_NAME = "全国"
PROVINCES_MAX = 31
FANOUT = {Level.CITY: 10, Level.COUNTY: 10, Level.STREET: 12, Level.COMMUNITY: 16}


@dataclass(frozen=True)
class Unit:
    """One region to create: its parent is the unit with `parent_code`."""

    code: str
    name: str
    level: str
    parent_code: str | None


def spread(total: int, buckets: int) -> list[int]:
    """`total` split into `buckets` counts that differ by at most one."""
    base, extra = divmod(total, buckets)
    return [base + (1 if index < extra else 0) for index in range(buckets)]


def shape(communities: int) -> dict[str, int]:
    """How many units of each level a country of `communities` has."""
    streets = max(1, math.ceil(communities / FANOUT[Level.COMMUNITY]))
    counties = max(1, math.ceil(streets / FANOUT[Level.STREET]))
    cities = max(1, math.ceil(counties / FANOUT[Level.COUNTY]))
    provinces = min(PROVINCES_MAX, max(1, math.ceil(cities / FANOUT[Level.CITY])))
    return {
        Level.PROVINCE: provinces,
        Level.CITY: cities,
        Level.COUNTY: counties,
        Level.STREET: streets,
        Level.COMMUNITY: communities,
    }


def national_units(communities: int) -> Iterator[Unit]:
    """Every unit of the country, each parent before its children."""
    counts = shape(communities)
    yield Unit(ROOT_CODE, ROOT_NAME, Level.COUNTRY, None)
    provinces = [f"{11 + index:02d}" for index in range(counts[Level.PROVINCE])]
    for code in provinces:
        yield Unit(code, f"模拟{code}省", Level.PROVINCE, ROOT_CODE)
    cities = yield from _children(provinces, counts[Level.CITY], Level.CITY, _city)
    counties = yield from _children(cities, counts[Level.COUNTY], Level.COUNTY, _county)
    streets = yield from _children(counties, counts[Level.STREET], Level.STREET, _street)
    yield from _children(streets, communities, Level.COMMUNITY, _community)


def _children(parents: list[str], total: int, level: str, name_and_code) -> Iterator[Unit]:
    codes = []
    for parent, count in zip(parents, spread(total, len(parents)), strict=True):
        for index in range(count):
            code, name = name_and_code(parent, index)
            codes.append(code)
            yield Unit(code, name, level, parent)
    return codes


def _city(province: str, index: int) -> tuple[str, str]:
    code = f"{province}{index + 1:02d}"
    return code, f"模拟{code}市"


def _county(city: str, index: int) -> tuple[str, str]:
    code = f"{city}{index + 1:02d}"
    return code, f"模拟{code}区"


def _street(county: str, index: int) -> tuple[str, str]:
    """Alternately 街道 (segment 001–099) and 镇 (100–199), as the code rule reads them."""
    if index % 2 == 0:
        return f"{county}{index // 2 + 1:03d}", f"模拟{county}第{index + 1}街道"
    return f"{county}{100 + index // 2:03d}", f"模拟{county}第{index + 1}镇"


def _community(street: str, index: int) -> tuple[str, str]:
    """社区 (居委会, 001–199) in a 街道, 村 (村委会, 200–399) in a 镇, with a few of the
    other kind in each."""
    in_town = 100 <= int(street[6:9]) <= 199
    village = (index % 5 != 4) if in_town else (index % 5 == 4)
    if village:
        return f"{street}{200 + index:03d}", f"模拟第{index + 1}村"
    return f"{street}{1 + index:03d}", f"模拟第{index + 1}社区"
