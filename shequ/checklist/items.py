"""The checklist's items, as the bureau's notice lists them (（四）规范标识挂牌，完善综合服务设施
功能设置): 15 function rooms, three plaques and the “中国社区” logo on the main building
count towards completeness (19 items); the logo on notice boards and signposts is asked
only "where conditions allow", so it is recorded but not counted.

Codes are stored in the database: never rename one; add new ones at the end of a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    ROOM = "room"
    PLAQUE = "plaque"
    LOGO = "logo"
    EXTRA = "extra"


KIND_LABELS = {
    Kind.ROOM: "功能用房",
    Kind.PLAQUE: "挂牌",
    Kind.LOGO: "“中国社区”标识",
    Kind.EXTRA: "其他标识（不计入完成度）",
}


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    kind: Kind

    @property
    def is_room(self) -> bool:
        return self.kind == Kind.ROOM

    @property
    def counted(self) -> bool:
        return self.kind != Kind.EXTRA


ITEMS: tuple[Item, ...] = (
    Item("hall", "服务大厅", Kind.ROOM),
    Item("council", "居民议事室", Kind.ROOM),
    Item("mediation", "人民调解室", Kind.ROOM),
    Item("reading", "阅览室", Kind.ROOM),
    Item("social_org", "社会组织活动室", Kind.ROOM),
    Item("social_work", "社会工作室", Kind.ROOM),
    Item("rehab", "残疾人康复室", Kind.ROOM),
    Item("family_planning", "计划生育服务室", Kind.ROOM),
    Item("charity", "慈善物品保管室（慈善超市）", Kind.ROOM),
    Item("archive", "档案室", Kind.ROOM),
    Item("governance", "综治中心", Kind.ROOM),
    Item("fire_station", "微型消防站", Kind.ROOM),
    Item("citizen_school", "市民学校", Kind.ROOM),
    Item("women_children", "妇女儿童之家", Kind.ROOM),
    Item("office", "社区办公室", Kind.ROOM),
    Item("plaque_party", "村（社区）党组织", Kind.PLAQUE),
    Item("plaque_committee", "村（居）民委员会", Kind.PLAQUE),
    Item("plaque_supervision", "村（居）务监督委员会", Kind.PLAQUE),
    Item("logo_building", "“中国社区”标识（主楼）", Kind.LOGO),
    Item("logo_notice_board", "“中国社区”标识（公示栏）", Kind.EXTRA),
    Item("logo_signpost", "“中国社区”标识（指示牌）", Kind.EXTRA),
)

BY_CODE: dict[str, Item] = {item.code: item for item in ITEMS}
COUNTED: tuple[Item, ...] = tuple(item for item in ITEMS if item.counted)
COUNTED_CODES: tuple[str, ...] = tuple(item.code for item in COUNTED)
ROOM_CODES: tuple[str, ...] = tuple(item.code for item in ITEMS if item.is_room)
TOTAL = len(COUNTED)  # 19
CHOICES = [(item.code, item.label) for item in ITEMS]

assert TOTAL == 19 and len(ROOM_CODES) == 15, "the notice lists 15 rooms, 3 plaques, 1 logo"
