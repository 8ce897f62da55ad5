"""Levels of the region tree and what a division code says about a unit."""

from django.db import models


class Level(models.TextChoices):
    COUNTRY = "country", "全国"
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "区县"
    STREET = "street", "街镇"
    COMMUNITY = "community", "社区/村"


# Top to bottom; a child always sits lower than its parent.
LEVEL_RANK = {level: rank for rank, level in enumerate(Level.values)}

# The division files call a village-level unit `village`; we call every one a community.
FILE_LEVELS = {
    "country": Level.COUNTRY,
    "province": Level.PROVINCE,
    "city": Level.CITY,
    "county": Level.COUNTY,
    "street": Level.STREET,
    "village": Level.COMMUNITY,
    "community": Level.COMMUNITY,
}

# Code lengths of the statistical division codes, by level.
CODE_LENGTHS = {
    Level.COUNTRY: {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
    Level.PROVINCE: {2},
    Level.CITY: {2, 4},
    Level.COUNTY: {6},
    Level.STREET: {9},
    Level.COMMUNITY: {12},
}


class Kind(models.TextChoices):
    SUBDISTRICT = "subdistrict", "街道"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    NEIGHBOURHOOD = "neighbourhood", "社区"
    VILLAGE = "village", "村"


class UrbanRural(models.TextChoices):
    URBAN = "urban", "城市社区"
    RURAL = "rural", "农村社区"


def is_above_street(level: str) -> bool:
    return LEVEL_RANK[level] < LEVEL_RANK[Level.STREET]


def street_kind_from_code(code: str) -> str:
    """Digits 7–9: 001–099 街道, 100–199 镇, 200–399 乡 (other ranges: 街道)."""
    segment = int(code[6:9])
    if 100 <= segment <= 199:
        return Kind.TOWN
    if 200 <= segment <= 399:
        return Kind.TOWNSHIP
    return Kind.SUBDISTRICT


def community_kind_from_code(code: str) -> str:
    """Digits 10–12: 001–199 居委会 (社区), 200–399 村委会 (村)."""
    segment = int(code[9:12])
    return Kind.VILLAGE if 200 <= segment <= 399 else Kind.NEIGHBOURHOOD


def default_class_for_kind(kind: str) -> str:
    """居委会 → 城市社区, 村委会 → 农村社区; editable afterwards."""
    return UrbanRural.RURAL if kind == Kind.VILLAGE else UrbanRural.URBAN


def kind_from_code(code: str, level: str) -> str:
    if level == Level.STREET:
        return street_kind_from_code(code)
    if level == Level.COMMUNITY:
        return community_kind_from_code(code)
    return ""
