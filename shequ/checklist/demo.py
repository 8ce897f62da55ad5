"""Demo checklists for every community: most items present, neighbourhoods (社区) better
equipped than villages, the specialised rooms (康复室, 慈善超市, 微型消防站) missing most
often, some rooms serving several functions (一室多用), and two small generated photos.

Deterministic (seeded by the community's code), built through the services, and run
once: a database that already has checklist rows is left alone.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.accounts.scope import Scope, operator_scope, scope_for_username
from shequ.checklist.items import ITEMS
from shequ.checklist.models import ChecklistEntry
from shequ.checklist.photos import photo_from_upload
from shequ.checklist.queries import completeness_by_street
from shequ.checklist.services import checklist_save, photo_save
from shequ.regions.levels import UrbanRural
from shequ.regions.models import Region

SEED = "shequ-demo-checklist"
BASE_MISSING = {UrbanRural.URBAN: 0.01, UrbanRural.RURAL: 0.05}
RURAL_FACTOR = 2.0  # villages lack the harder items about twice as often
HARDER = {
    "rehab": 0.22,
    "charity": 0.18,
    "fire_station": 0.14,
    "social_org": 0.08,
    "women_children": 0.06,
    "family_planning": 0.05,
    "plaque_supervision": 0.04,
    "logo_building": 0.08,
}
EXTRAS = {"logo_notice_board": (0.6, 0.35), "logo_signpost": (0.45, 0.2)}  # urban, rural
SHARED = [
    ("议事调解室", ("council", "mediation")),
    ("多功能活动室", ("reading", "citizen_school", "women_children")),
    ("社工站", ("social_org", "social_work")),
]
AREAS = {"hall": (60, 180), "office": (30, 90), "governance": (20, 45)}
ROOM_AREA = (12, 40)
PHOTO_COMMUNITY = "500109001028"  # 新星路社区, in 天生街道: the demo's street editor sees it
PHOTOS = {"hall": (31, 78, 121), "plaque_party": (178, 34, 34)}


@dataclass
class DemoChecklist:
    communities: int = 0
    complete: int = 0
    present: int = 0
    photos: int = 0

    @property
    def share(self) -> float:
        return self.present / (19 * self.communities) if self.communities else 0.0


def _street_scope(street: Region) -> Scope:
    try:
        return scope_for_username(f"{street.code}-editor")
    except LookupError:
        return operator_scope()


def _values(community: Region) -> dict[str, dict]:
    rng = random.Random(f"{SEED}-{community.code}")
    urban = community.urban_rural_class == UrbanRural.URBAN
    base = BASE_MISSING[UrbanRural.URBAN if urban else UrbanRural.RURAL]
    values = {}
    for item in ITEMS:
        if item.code in EXTRAS:
            present = rng.random() < EXTRAS[item.code][0 if urban else 1]
        else:
            harder = HARDER.get(item.code, 0) * (1 if urban else RURAL_FACTOR)
            present = rng.random() >= base + harder
        area = ""
        if present and item.is_room and rng.random() < 0.7:  # area is optional: often left out
            low, high = AREAS.get(item.code, ROOM_AREA)
            area = str(rng.randrange(low * 10, high * 10) / 10)
        values[item.code] = {"present": present, "area": area}
    for room, codes in SHARED:
        present = [c for c in codes if values[c]["present"]]
        if len(present) > 1 and rng.random() < 0.35:
            for index, code in enumerate(present):
                values[code]["room_name"] = room
                if index:  # one room, one size: given on its first function only
                    values[code]["area"] = ""
    return values


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A small real PNG (a coloured plaque on a light wall), made without an image library."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    wall, rows = (236, 232, 224), []
    for y in range(height):
        inside_y = height // 4 <= y < height * 3 // 4
        row = b"".join(
            bytes(colour if inside_y and width // 5 <= x < width * 4 // 5 else wall)
            for x in range(width)
        )
        rows.append(b"\x00" + row)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def _add_photos(report: DemoChecklist) -> None:
    community = Region.objects.filter(code=PHOTO_COMMUNITY).first()
    if community is None:
        return
    scope = _street_scope(community.parent)
    for code, colour in PHOTOS.items():
        upload = SimpleUploadedFile(f"{code}.png", _png(96, 64, colour), "image/png")
        photo = photo_from_upload(upload)
        photo_save(scope=scope, community=community, item_code=code, photo=photo)
        report.photos += 1


def demo_checklist_build(root: Region) -> DemoChecklist | None:
    """Every active community below `root`; None when checklists exist already."""
    if ChecklistEntry.objects.exists():
        return None
    report = DemoChecklist()
    communities = Region.objects.active().communities().within(root).select_related("parent")
    scopes: dict[int, Scope] = {}
    for community in communities.order_by("code"):
        scope = scopes.get(community.parent_id) or _street_scope(community.parent)
        scopes[community.parent_id] = scope
        checklist_save(scope=scope, community=community, values=_values(community))
    _add_photos(report)
    for figures in completeness_by_street(root).values():
        report.communities += figures.communities
        report.complete += figures.complete
        report.present += round((figures.share or 0) * 19 * figures.communities)
    return report
