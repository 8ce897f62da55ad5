"""便民服务中心功能设置与标识: completeness against a hand count, 一室多用, photos checked and
served only in scope, who may edit, the audit row, and all or nothing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope, scope_for
from shequ.checklist.items import COUNTED_CODES, ITEMS, ROOM_CODES, TOTAL
from shequ.checklist.models import ChecklistEntry
from shequ.checklist.photos import MAX_PHOTO_BYTES, photo_from_upload
from shequ.checklist.queries import (
    checklist_lines,
    community_completeness,
    completeness_by_street,
    missing_items,
)
from shequ.checklist.services import checklist_save, photo_save
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.models import AuditEvent
from shequ.regions.models import Region

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, make_user, region
from .ledger_helpers import open_period

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
    with pytest.raises(DomainError, match="一室多用") as refused:
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
    with pytest.raises(DomainError) as refused:
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
    with pytest.raises(DomainError, match=message):
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


def test_a_viewer_gets_403_on_the_form(login, district_viewer):
    client = login(district_viewer)
    response = client.get(f"/checklist/{XINXINGLU}/")
    assert response.status_code == 200 and "checklist-save" not in response.content.decode()
    response = client.post(f"/checklist/{XINXINGLU}/", {"hall-present": "on"})
    assert response.status_code == 403
    assert not ChecklistEntry.objects.exists()


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
    with pytest.raises(DomainError, match=message) as refused:
        photo_from_upload(SimpleUploadedFile(name, data), label="服务大厅")
    assert refused.value.message.startswith("服务大厅照片")


def test_jpeg_and_png_photos_are_accepted():
    assert photo_from_upload(SimpleUploadedFile("a.JPG", JPEG)).stored_name.endswith(".jpg")
    assert photo_from_upload(SimpleUploadedFile("b", PNG)).stored_name.endswith(".png")


def test_a_bad_photo_on_the_form_saves_nothing(login, tiansheng_editor):
    client = login(tiansheng_editor)
    response = client.post(
        f"/checklist/{XINXINGLU}/",
        {"hall-present": "on", "hall-photo": SimpleUploadedFile("hall.gif", b"GIF89a....")},
    )
    assert response.status_code == 400
    assert "服务大厅照片“hall.gif”只能是 JPEG 或 PNG 图片" in response.content.decode()
    assert not ChecklistEntry.objects.exists()


def test_a_negative_area_on_the_form_keeps_what_was_typed(login, tiansheng_editor):
    client = login(tiansheng_editor)
    response = client.post(
        f"/checklist/{XINXINGLU}/",
        {"hall-present": "on", "hall-area": "120", "archive-present": "on", "archive-area": "-3"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "档案室：面积不能为负数" in body and 'value="-3"' in body and 'value="120"' in body
    assert not ChecklistEntry.objects.exists()


@pytest.fixture
def photographed(login, tiansheng_editor, django_capture_on_commit_callbacks):
    client = login(tiansheng_editor)
    response = client.post(
        f"/checklist/{XINXINGLU}/",
        {
            "hall-present": "on",
            "hall-area": "85",
            "hall-photo": SimpleUploadedFile("大厅.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    client.logout()
    return ChecklistEntry.objects.get(community__code=XINXINGLU, item="hall")


def test_a_photo_is_stored_under_the_media_root_and_audited(photographed, settings):
    assert photographed.photo.name.startswith("checklist/photos/")
    assert photographed.photo.name.endswith(".png") and photographed.photo_name == "大厅.png"
    assert (settings.MEDIA_ROOT / photographed.photo.name).read_bytes() == PNG
    assert AuditEvent.objects.filter(action="checklist.photo", target_id=XINXINGLU).exists()


def test_a_photo_is_served_in_scope_only(
    photographed, client, login, chengjiang_editor, xinxinglu_editor, district_viewer
):
    url = f"/checklist/{XINXINGLU}/photo/hall/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert "/accounts/login/" in client.get(url)["Location"]
    assert login(chengjiang_editor).get(url).status_code == 404
    other = make_user("yunhe-editor", "500109102007", Role.EDITOR)
    assert login(other).get(url).status_code == 404
    for user in (xinxinglu_editor, district_viewer):
        response = login(user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG
    assert login(district_viewer).get(f"/checklist/{XINXINGLU}/photo/office/").status_code == 404


def test_replacing_a_photo_removes_the_old_file(
    photographed, settings, tiansheng_editor, django_capture_on_commit_callbacks
):
    old = settings.MEDIA_ROOT / photographed.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        entry = photo_save(
            scope=scope_for(tiansheng_editor),
            community=region(XINXINGLU),
            item_code="hall",
            photo=photo_from_upload(SimpleUploadedFile("新.jpg", JPEG)),
        )
    assert not old.exists()
    assert (settings.MEDIA_ROOT / entry.photo.name).read_bytes() == JPEG


def test_removing_a_photo_on_the_form(
    photographed, login, tiansheng_editor, settings, django_capture_on_commit_callbacks
):
    old = settings.MEDIA_ROOT / photographed.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        login(tiansheng_editor).post(
            f"/checklist/{XINXINGLU}/",
            {"hall-present": "on", "hall-area": "85", "hall-remove_photo": "on"},
        )
    photographed.refresh_from_db()
    assert not photographed.photo and not old.exists()


# ---------------------------------------------------------------- pages


def test_the_district_overview_lists_every_street(crafted, login, district_viewer):
    body = login(district_viewer).get("/checklist/").content.decode()
    assert body.count('href="/checklist/500109') >= 17
    assert "天生街道" in body and "残疾人康复室" in body


def test_a_street_user_sees_its_communities(crafted, login, tiansheng_editor):
    a, b, _, _ = crafted
    body = login(tiansheng_editor).get("/checklist/").content.decode()
    assert a.name in body and b.name in body and "17/19" in body
    assert "运河村" not in body


def test_the_form_shows_the_items_and_the_extras_apart(crafted, login, tiansheng_editor):
    a = crafted[0]
    body = login(tiansheng_editor).get(f"/checklist/{a.code}/").content.decode()
    for item in ITEMS:
        assert item.label in body
    assert body.count("不计入完成度") >= 3 and "19/19" in body
    assert sum(f'name="{code}-area"' in body for code in ROOM_CODES) == 15


def test_the_form_saves(login, xinxinglu_editor):
    client = login(xinxinglu_editor)
    response = client.post(
        f"/checklist/{XINXINGLU}/",
        {"hall-present": "on", "hall-area": "120", "plaque_party-present": "on"},
    )
    assert response.status_code == 302
    assert community_completeness(region(XINXINGLU))[0] == 2


def test_other_streets_communities_are_not_found(login, chengjiang_editor):
    client = login(chengjiang_editor)
    assert client.get(f"/checklist/{XINXINGLU}/").status_code == 404
    assert client.post(f"/checklist/{XINXINGLU}/", {"hall-present": "on"}).status_code == 404


def test_the_community_page_shows_the_completeness(crafted, login, district_viewer):
    open_period("2024H1")  # the page's cards need a ledger row
    b = crafted[1]
    body = login(district_viewer).get(f"/communities/{b.code}/").content.decode()
    assert "便民服务中心功能设置" in body and "17/19" in body
    assert "缺少：残疾人康复室、“中国社区”标识（主楼）" in body
    assert f'href="/checklist/{b.code}/"' in body
