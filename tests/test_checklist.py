"""便民服务中心功能设置与标识: completeness against a hand count, 一室多用, photos checked and
served only in scope, who may edit, the audit row, and all or nothing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.accounts.scope import operator_scope, scope_for
from shequ.checklist.items import COUNTED_CODES, TOTAL
from shequ.checklist.models import ChecklistEntry
from shequ.checklist.photos import MAX_PHOTO_BYTES, photo_from_upload
from shequ.checklist.queries import (
    checklist_lines,
    community_completeness,
    completeness_by_street,
    missing_items,
)
from shequ.checklist.services import checklist_save
from shequ.core.models import AuditEvent
from shequ.ledger.permissions import LedgerError, NotAllowed, OutOfScope
from shequ.regions.models import Region

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def tiansheng_communities() -> list[Region]:
    return list(Region.objects.filter(parent__code=TIANSHENG).order_by("code"))


def fill(community: Region, *, without=(), extras=True) -> None:
    values = {code: {"present": code not in without} for code in COUNTED_CODES}
    if extras:
        values |= {"logo_notice_board": {"present": True}, "logo_signpost": {"present": True}}
    checklist_save(scope=operator_scope(), community=community, values=values)


@pytest.fixture
def crafted(beibei):
    """天生街道: one community complete, one missing two items, one missing one, one with
    only the uncounted extras; the other six (and all of 澄江镇) have no data."""
    a, b, c, d = tiansheng_communities()[:4]
    fill(a)
    fill(b, without=("rehab", "logo_building"))
    fill(c, without=("rehab",), extras=False)
    checklist_save(
        scope=operator_scope(),
        community=d,
        values={"logo_notice_board": {"present": True}, "logo_signpost": {"present": True}},
    )
    return a, b, c, d


# ---------------------------------------------------------------- figures


def test_completeness_by_street_matches_a_hand_count(crafted, beibei):
    figures = completeness_by_street(beibei)
    assert len(figures) == 17  # every street, data or not
    tiansheng = figures[region(TIANSHENG).pk]
    assert (tiansheng.communities, tiansheng.complete) == (10, 1)
    # 19 + 17 + 18 present counted items of 10 × 19 (the extras count for nothing)
    assert tiansheng.share == Decimal(54) / Decimal(190)
    chengjiang = figures[region(CHENGJIANG).pk]
    assert (chengjiang.communities, chengjiang.complete, chengjiang.share) == (13, 0, 0)


def test_completeness_below_a_street_is_that_street_only(crafted):
    figures = completeness_by_street(region(TIANSHENG))
    assert list(figures) == [region(TIANSHENG).pk]


def test_a_street_with_no_communities_has_no_share(beibei):
    street = region(TIANSHENG)
    Region.objects.filter(parent=street).update(valid_to=1)  # all deactivated
    figures = completeness_by_street(street)[street.pk]
    assert (figures.communities, figures.complete, figures.share) == (0, 0, None)


def test_missing_items_are_ranked_most_missing_first(crafted):
    assert missing_items(region(TIANSHENG), limit=3) == [
        ("残疾人康复室", 9),
        ("“中国社区”标识（主楼）", 8),
        ("服务大厅", 7),  # ties keep the notice's order
    ]
    assert len(missing_items(region(TIANSHENG), limit=50)) == TOTAL


def test_community_completeness_lists_what_is_missing(crafted):
    a, b, _, d = crafted
    assert community_completeness(a) == (19, 19, [])
    assert community_completeness(b) == (17, 19, ["残疾人康复室", "“中国社区”标识（主楼）"])
    assert community_completeness(d)[0] == 0


def test_reads_use_a_fixed_number_of_queries(crafted, beibei, django_assert_num_queries):
    with django_assert_num_queries(3):
        completeness_by_street(beibei)
    with django_assert_num_queries(2):
        missing_items(beibei)
    with django_assert_num_queries(1):
        community_completeness(crafted[0])


# ---------------------------------------------------------------- rooms and values


def test_one_room_serving_several_functions(beibei):
    community = region(XINXINGLU)
    room = {"present": True, "room_name": "议事调解室", "area": "32.5"}
    checklist_save(
        scope=operator_scope(),
        community=community,
        values={"council": room, "mediation": room | {"area": ""}, "hall": {"present": True}},
    )
    lines = {line.item.code: line for line in checklist_lines(community)}
    assert lines["council"].shared_with == ["人民调解室"]
    assert lines["mediation"].shared_with == ["居民议事室"]
    assert lines["hall"].shared_with == []
    assert community_completeness(community)[0] == 3  # one room, two functions counted


def test_a_shared_room_cannot_have_two_sizes(beibei):
    with pytest.raises(LedgerError, match="一室多用") as refused:
        checklist_save(
            scope=operator_scope(),
            community=region(XINXINGLU),
            values={
                "council": {"present": True, "room_name": "多功能室", "area": "30"},
                "reading": {"present": True, "room_name": "多功能室", "area": "40"},
            },
        )
    assert refused.value.field == "reading-area"
    assert not ChecklistEntry.objects.exists()


def test_a_negative_area_refuses_everything_naming_item_and_field(beibei):
    with pytest.raises(LedgerError) as refused:
        checklist_save(
            scope=operator_scope(),
            community=region(XINXINGLU),
            values={
                "hall": {"present": True, "area": "120"},
                "council": {"present": True, "area": "-5"},
            },
        )
    assert "居民议事室" in refused.value.message and "面积" in refused.value.message
    assert refused.value.field == "council-area"
    assert not ChecklistEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="checklist.save").exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"plaque_party": {"present": True, "area": "5"}}, "不是功能用房"),
        ({"hall": {"present": False, "area": "80"}}, "未设置时不填面积"),
        ({"hall": {"present": True, "area": "八十"}}, "服务大厅：面积应为数字"),
        ({"hall": {"present": True, "area": "80.25"}}, "最多保留一位小数"),
        ({"nonsense": {"present": True}}, "未知的功能设置项"),
    ],
)
def test_bad_values_are_refused_in_chinese(beibei, values, message):
    with pytest.raises(LedgerError, match=message):
        checklist_save(scope=operator_scope(), community=region(XINXINGLU), values=values)


def test_a_save_is_audited_with_what_changed(beibei, tiansheng_editor):
    community = region(XINXINGLU)
    scope = scope_for(tiansheng_editor)
    checklist_save(scope=scope, community=community, values={"hall": {"present": True}})
    changed = checklist_save(
        scope=scope,
        community=community,
        values={"hall": {"present": True, "area": "96.5"}, "office": {"present": False}},
    )
    assert changed == ["hall"]  # an unchanged item writes nothing
    event = AuditEvent.objects.filter(action="checklist.save").latest("pk")
    assert event.actor == scope.actor.label and event.region_path == community.path
    assert event.changes == {"服务大厅·面积": [None, "96.5"]}
    assert "新星路社区" in event.summary
    entry = ChecklistEntry.objects.get(community=community, item="hall")
    assert entry.area == Decimal("96.5") and entry.updated_by == scope.actor.label


# ---------------------------------------------------------------- who may edit


def test_street_and_community_editors_and_street_approvers_edit(
    beibei, tiansheng_editor, tiansheng_approver, xinxinglu_editor
):
    for user in (tiansheng_editor, tiansheng_approver, xinxinglu_editor):
        checklist_save(
            scope=scope_for(user), community=region(XINXINGLU), values={"hall": {"present": True}}
        )


def test_viewers_district_users_and_other_streets_cannot_edit(
    beibei, district_viewer, district_admin, district_approver, chengjiang_editor
):
    values = {"hall": {"present": True}}
    for user in (district_viewer, district_admin, district_approver):
        with pytest.raises(NotAllowed):
            checklist_save(scope=scope_for(user), community=region(XINXINGLU), values=values)
    with pytest.raises(OutOfScope):
        checklist_save(
            scope=scope_for(chengjiang_editor), community=region(XINXINGLU), values=values
        )


# ---------------------------------------------------------------- photos


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.jpg", JPEG + b"0" * MAX_PHOTO_BYTES, "超过 5 MB"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00", "只能是 JPEG 或 PNG"),
        ("notes.jpg", "这是一份文本，改了扩展名".encode(), "只能是 JPEG 或 PNG"),
        ("doc.png", b"%PDF-1.4", "只能是 JPEG 或 PNG"),
    ],
)
def test_photos_are_checked_by_content_and_size(name, data, message):
    with pytest.raises(LedgerError, match=message) as refused:
        photo_from_upload(SimpleUploadedFile(name, data), label="服务大厅")
    assert refused.value.message.startswith("服务大厅照片")


def test_jpeg_and_png_photos_are_accepted():
    assert photo_from_upload(SimpleUploadedFile("a.JPG", JPEG)).stored_name.endswith(".jpg")
    assert photo_from_upload(SimpleUploadedFile("b", PNG)).stored_name.endswith(".png")
