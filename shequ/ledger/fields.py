"""The ledger's fields: their contract names (models, JSON, API, CSV), order and labels."""

from decimal import Decimal
from types import MappingProxyType

AREA_FIELDS = (
    "service_center",
    "police_room",
    "day_care",
    "health_station",
    "culture_room",
    "grocery",
    "other",
)

# Facilities that may sit inside the 便民服务中心; their area is then not entered again.
CO_LOCATION_FLAGS = MappingProxyType(
    {
        "police_room": "police_room_in_center",
        "day_care": "day_care_in_center",
        "health_station": "health_station_in_center",
        "culture_room": "culture_room_in_center",
    }
)

# How 备注 names a facility set in the centre (警务室、卫生服务站设在便民服务中心): the
# export writes these names and the import reads them back.
IN_CENTRE_NAMES = MappingProxyType(
    {
        "police_room": "警务室",
        "day_care": "日间照料中心（养老服务站）",
        "health_station": "卫生服务站",
        "culture_room": "文化活动室",
    }
)

# Every field a street enters, in the contract's order: the canonical form of the
# tamper-evident fingerprint follows it, so it must never be reordered.
INPUT_FIELDS = (
    "households",
    "resident_households",
    *AREA_FIELDS,
    *CO_LOCATION_FLAGS.values(),
    "compliance_year",
    "remarks",
)

# What a new period's row takes over from the community's last approved row.
CARRIED_FIELDS = (*INPUT_FIELDS, "households_counted_on", "households_source")

DERIVED_FIELDS = ("total_area", "per_100_households", "compliant", "shortfall")

LABELS = MappingProxyType(
    {
        "households": "辖区户籍人口总户数",
        "resident_households": "常住户数",
        "service_center": "便民服务中心",
        "police_room": "警务室",
        "day_care": "日间照料中心（养老服务站）",
        "health_station": "卫生服务站",
        "culture_room": "文化活动室",
        "grocery": "菜店（平价超市）",
        "other": "其他用房",
        "police_room_in_center": "警务室设在便民服务中心",
        "day_care_in_center": "日间照料中心设在便民服务中心",
        "health_station_in_center": "卫生服务站设在便民服务中心",
        "culture_room_in_center": "文化活动室设在便民服务中心",
        "compliance_year": "达标年度",
        "remarks": "备注",
        "total_area": "综合服务设施总建筑面积",
        "per_100_households": "每百户居民拥有综合服务设施面积",
        "compliant": "是否达标",
        "shortfall": "距达标还差面积",
    }
)

GROCERY_HELP = (
    "菜店（平价超市）是指政府投入建设用于提供社区居民即时消费品和日常用品的场所，"
    "是最基层物价平抑功能的社区公共设施。"
)


class InputValues:
    """The input fields' types, for a class that holds a row's values as attributes (the
    import's row records and planned values) and is read by the rules as a
    `rules.RowInputs`. Annotations only: no attribute and no slot of its own, so that a
    slotted subclass keeps its slots."""

    __slots__ = ()

    households: int | None
    resident_households: int | None
    service_center: Decimal | None
    police_room: Decimal | None
    day_care: Decimal | None
    health_station: Decimal | None
    culture_room: Decimal | None
    grocery: Decimal | None
    other: Decimal | None
    police_room_in_center: bool
    day_care_in_center: bool
    health_station_in_center: bool
    culture_room_in_center: bool
    compliance_year: int | None
    remarks: str
