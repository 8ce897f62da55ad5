"""`shequ region-change ACTION …`: one 区划调整 from the command line, through the same
services as the page; a preview unless --apply."""

import pytest

from shequ.core.models import AuditEvent
from shequ.regions.levels import Kind, UrbanRural
from shequ.regions.models import Region, RegionSuccession

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, YUNHE_CUN
from .edition_fixtures import shequ, shequ_json
from .test_load_regions_edition import tree

XINAN_NORTH, XINAN_SOUTH, TIANSHENGQIAO = "500109001033", "500109001035", "500109001034"


def test_merge_into_a_new_community(beibei):
    code, out, _ = shequ(
        "region-change",
        "merge",
        XINAN_NORTH,
        XINAN_SOUTH,
        "--code",
        "500109001050",
        "--name",
        "西南大学社区",
        "--effective",
        "2027H1",
        "--reason",
        "民政局批复",
        "--apply",
    )
    assert code == 0
    assert "已合并为西南大学社区，自2027年上半年起生效" in out
    merged = Region.objects.get(code="500109001050")
    assert merged.parent.code == TIANSHENG
    assert set(merged.predecessions.values_list("predecessor__code", flat=True)) == {
        XINAN_NORTH,
        XINAN_SOUTH,
    }
    assert AuditEvent.objects.filter(action="regions.merge", reason="民政局批复").exists()


def test_merge_into_an_existing_community_under_json(beibei):
    code, document = shequ_json(
        "region-change",
        "merge",
        XINAN_NORTH,
        "--into",
        TIANSHENGQIAO,
        "--effective",
        "2027H1",
        "--apply",
    )
    assert code == 0
    assert document["action"] == "merge" and document["applied"] is True and document["ok"] is True
    assert document["effective"] == "2027H1"
    assert document["report"]["regions"] == [TIANSHENGQIAO]
    assert Region.objects.get(code=XINAN_NORTH).valid_to == 4054
    assert Region.objects.get(code=TIANSHENGQIAO).valid_to is None


def test_merge_needs_into_or_a_new_code_and_name(beibei):
    code, _, err = shequ("region-change", "merge", XINAN_NORTH, "--effective", "2027H1")
    assert code == 1
    assert "二者选一" in err


def test_split_with_the_plan_to_one_part(beibei):
    code, out, _ = shequ(
        "region-change",
        "split",
        XINXINGLU,
        "--part",
        "500109001051:新星路东社区",
        "--part",
        "500109001052：新星路西社区",
        "--plan-to",
        "500109001051",
        "--effective",
        "2027H1",
        "--apply",
    )
    assert code == 0, out
    assert "已拆分为新星路东社区、新星路西社区" in out
    assert set(
        RegionSuccession.objects.filter(predecessor__code=XINXINGLU).values_list(
            "successor__code", "kind"
        )
    ) == {("500109001051", "split"), ("500109001052", "split")}


def test_a_part_without_a_name_is_refused(beibei):
    code, _, err = shequ(
        "region-change", "split", XINXINGLU, "--part", "500109001051", "--effective", "2027H1"
    )
    assert code == 1
    assert "--part “500109001051”应写成 代码:名称" in err


def test_rename_is_a_preview_until_apply(beibei):
    before = tree()
    code, out, _ = shequ(
        "region-change", "rename", XINXINGLU, "--name", "新星路社区", "--effective", "2027H1"
    )
    assert code == 0
    assert "已更名为新星路社区，自2027年上半年起生效" in out
    assert "这是预览，没有写入" in out
    assert tree() == before
    shequ(
        "region-change",
        "rename",
        XINXINGLU,
        "--name",
        "新星路社区",
        "--effective",
        "2027H1",
        "--apply",
    )
    assert Region.objects.get(code=XINXINGLU).name == "新星路社区"


def test_move_to_another_street(beibei):
    code, _ = shequ_json(
        "region-change",
        "move",
        XINXINGLU,
        "--parent",
        CHENGJIANG,
        "--effective",
        "2027H1",
        "--apply",
    )
    assert code == 0
    moved = Region.objects.get(code=XINXINGLU)
    assert moved.parent.code == CHENGJIANG
    assert moved.path == f"/500109/{CHENGJIANG}/{XINXINGLU}/"


@pytest.mark.parametrize(
    ("args", "kind", "urban_rural_class"),
    [
        (["--kind", "社区", "--class", "城市社区"], Kind.NEIGHBOURHOOD, UrbanRural.URBAN),
        (["--class", "urban"], Kind.VILLAGE, UrbanRural.URBAN),
    ],
)
def test_reclassify_a_village(beibei, args, kind, urban_rural_class):
    code, out, _ = shequ(
        "region-change", "reclassify", YUNHE_CUN, *args, "--effective", "2027H1", "--apply"
    )
    assert code == 0, out
    village = Region.objects.get(code=YUNHE_CUN)
    assert (village.kind, village.urban_rural_class) == (kind, urban_rural_class)


def test_reclassify_with_an_unknown_class_is_refused(beibei):
    code, _, err = shequ(
        "region-change", "reclassify", YUNHE_CUN, "--class", "郊区", "--effective", "2027H1"
    )
    assert code == 1
    assert "城乡类别“郊区”无法识别" in err


def test_deactivate_needs_a_reason(beibei):
    code, _, err = shequ("region-change", "deactivate", XINXINGLU, "--effective", "2027H1")
    assert code == 2  # an argument left out: a usage error (ADR 0038)
    assert "--reason" in err, err
    code, _ = shequ_json(
        "region-change",
        "deactivate",
        XINXINGLU,
        "--effective",
        "2027H1",
        "--reason",
        "整体搬迁",
        "--apply",
    )
    assert code == 0
    assert Region.objects.get(code=XINXINGLU).valid_to == 4054


def test_a_street_user_is_refused_and_nothing_is_written(beibei, tiansheng_approver):
    before = tree()
    code, document = shequ_json(
        "region-change",
        "rename",
        XINXINGLU,
        "--name",
        "新星路社区",
        "--effective",
        "2027H1",
        "--apply",
        "--as",
        "tiansheng-approver",
    )
    assert code == 1
    assert tree() == before
    assert document == {
        "action": "rename",
        "effective": "2027H1",
        "applied": False,
        "ok": False,
        "message": "未调整：只有管理员可以调整区划",
        "field": None,
    }


def test_a_bad_code_is_named_in_chinese(beibei):
    code, _, err = shequ(
        "region-change", "rename", "500109001999", "--name", "某社区", "--effective", "2027H1"
    )
    assert code == 1
    assert err == "区划代码“500109001999”不存在"


def test_a_refusal_of_the_service_is_its_chinese_message(beibei):
    code, _, err = shequ(
        "region-change",
        "rename",
        XINXINGLU,
        "--name",
        "新星路社区居民委员会",
        "--effective",
        "2027H1",
    )
    assert code == 1
    assert err == "未调整：新名称与现名称相同"


def test_a_bad_period_is_refused(beibei):
    code, _, err = shequ(
        "region-change", "rename", XINXINGLU, "--name", "某", "--effective", "明年"
    )
    assert code == 1
    assert "报告期“明年”格式不对" in err
