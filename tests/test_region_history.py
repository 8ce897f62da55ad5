"""Region changes take effect from a period; earlier periods keep what they had."""

import pytest

from shequ.core.actors import Actor
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode
from shequ.regions import changes
from shequ.regions.changes import RegionChangeError
from shequ.regions.history import communities_as_of, existed_in, version_as_of
from shequ.regions.levels import Kind, UrbanRural
from shequ.regions.models import RegionSuccession

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, YUNHE_CUN, YUNHE_SHEQU, region

H2_2024 = PeriodCode.parse("2024H2")
H1_2025 = PeriodCode.parse("2025H1")
OPERATOR = Actor.command_line()


def names_in(street_code: str, period: PeriodCode) -> set[str]:
    return {v.name for v in communities_as_of(period, within=region(street_code))}


def test_a_rename_from_2025h1_leaves_the_old_name_on_2024h2(beibei):
    xinxing = region(XINXINGLU)
    changes.region_rename(
        actor=OPERATOR, region=xinxing, name="新星社区居民委员会", effective=H1_2025
    )
    assert version_as_of(xinxing, H2_2024).name == "新星路社区居民委员会"
    assert version_as_of(xinxing, H1_2025).name == "新星社区居民委员会"
    assert version_as_of(xinxing, PeriodCode.parse("2030H2")).name == "新星社区居民委员会"
    assert region(XINXINGLU).name == "新星社区居民委员会"
    assert "新星路社区居民委员会" in names_in(TIANSHENG, H2_2024)
    assert "新星社区居民委员会" in names_in(TIANSHENG, H1_2025)


def test_a_merge_from_2025h1_counts_two_communities_in_2024h2_and_one_in_2025h1(beibei):
    street = region(CHENGJIANG)
    before = communities_as_of(H2_2024, within=street).count()
    merged = changes.region_merge(
        actor=OPERATOR,
        sources=[region(YUNHE_SHEQU), region(YUNHE_CUN)],
        code="500109102008",
        name="运河社区居民委员会",
        effective=H1_2025,
        reason="区政府批复",
    )
    in_2024 = {v.region.code for v in communities_as_of(H2_2024, within=street)}
    in_2025 = {v.region.code for v in communities_as_of(H1_2025, within=street)}
    assert {YUNHE_SHEQU, YUNHE_CUN} <= in_2024 and merged.code not in in_2024
    assert merged.code in in_2025 and not {YUNHE_SHEQU, YUNHE_CUN} & in_2025
    assert len(in_2024) == before and len(in_2025) == before - 1
    assert set(
        RegionSuccession.objects.filter(successor=merged).values_list(
            "predecessor__code", flat=True
        )
    ) == {YUNHE_SHEQU, YUNHE_CUN}
    assert not existed_in(region(YUNHE_CUN), H1_2025)
    event = AuditEvent.objects.get(action="regions.merge")
    assert event.actor == "命令行" and event.reason == "区政府批复"


def test_a_split_creates_the_parts_and_ends_the_source(beibei):
    parts = changes.region_split(
        actor=OPERATOR,
        source=region(XINXINGLU),
        parts=[("500109001101", "新星路东社区"), ("500109001102", "新星路西社区")],
        effective=H1_2025,
    )
    assert [p.name for p in parts] == ["新星路东社区", "新星路西社区"]
    assert all(p.parent.code == TIANSHENG for p in parts)
    names_2025 = names_in(TIANSHENG, H1_2025)
    assert {"新星路东社区", "新星路西社区"} <= names_2025
    assert "新星路社区居民委员会" not in names_2025
    assert "新星路社区居民委员会" in names_in(TIANSHENG, H2_2024)


def test_a_move_changes_the_street_from_its_period_on(beibei):
    xinxing = region(XINXINGLU)
    changes.region_move(
        actor=OPERATOR, region=xinxing, new_parent=region(CHENGJIANG), effective=H1_2025
    )
    assert "新星路社区居民委员会" in names_in(TIANSHENG, H2_2024)
    assert "新星路社区居民委员会" not in names_in(TIANSHENG, H1_2025)
    assert "新星路社区居民委员会" in names_in(CHENGJIANG, H1_2025)
    assert region(XINXINGLU).path == f"/500109/{CHENGJIANG}/{XINXINGLU}/"


def test_village_to_community_changes_kind_and_class_from_its_period(beibei):
    village = region(YUNHE_CUN)
    changes.region_reclassify(
        actor=OPERATOR,
        region=village,
        kind=Kind.NEIGHBOURHOOD,
        urban_rural_class=UrbanRural.URBAN,
        effective=H1_2025,
    )
    assert version_as_of(village, H2_2024).urban_rural_class == UrbanRural.RURAL
    assert version_as_of(village, H1_2025).urban_rural_class == UrbanRural.URBAN
    assert region(YUNHE_CUN).kind == Kind.NEIGHBOURHOOD


def test_a_change_cannot_reach_back_before_a_later_one(beibei):
    xinxing = region(XINXINGLU)
    changes.region_rename(actor=OPERATOR, region=xinxing, name="甲社区", effective=H1_2025)
    with pytest.raises(RegionChangeError, match="新的调整不能早于它"):
        changes.region_rename(actor=OPERATOR, region=xinxing, name="乙社区", effective=H2_2024)


def test_two_changes_in_the_same_period_make_one_version(beibei):
    xinxing = region(XINXINGLU)
    changes.region_rename(actor=OPERATOR, region=xinxing, name="甲社区", effective=H1_2025)
    changes.region_rename(actor=OPERATOR, region=xinxing, name="乙社区", effective=H1_2025)
    assert xinxing.versions.count() == 2
    assert version_as_of(xinxing, H1_2025).name == "乙社区"


def test_a_street_with_active_communities_cannot_be_deactivated(beibei):
    with pytest.raises(RegionChangeError, match="还有在用的下级区划"):
        changes.region_deactivate(actor=OPERATOR, region=region(TIANSHENG), effective=H1_2025)


def test_a_deactivated_community_cannot_be_renamed(beibei):
    xinxing = region(XINXINGLU)
    changes.region_deactivate(actor=OPERATOR, region=xinxing, effective=H1_2025)
    with pytest.raises(RegionChangeError, match="已于2025年上半年撤销"):
        changes.region_rename(actor=OPERATOR, region=xinxing, name="甲", effective=H1_2025)


def test_created_codes_must_be_new_and_well_formed(beibei):
    street = region(TIANSHENG)
    with pytest.raises(RegionChangeError, match="已被使用"):
        changes.region_create(
            actor=OPERATOR, parent=street, code=XINXINGLU, name="重复", effective=H1_2025
        )
    with pytest.raises(RegionChangeError, match="不是有效的社区/村区划代码"):
        changes.region_create(
            actor=OPERATOR, parent=street, code="123", name="短码", effective=H1_2025
        )


def test_a_new_community_exists_only_from_its_period(beibei):
    created = changes.region_create(
        actor=OPERATOR,
        parent=region(TIANSHENG),
        code="500109001250",
        name="新村",
        effective=H1_2025,
    )
    assert created.kind == Kind.VILLAGE and created.urban_rural_class == UrbanRural.RURAL
    assert not existed_in(created, H2_2024) and existed_in(created, H1_2025)
    assert "新村" not in names_in(TIANSHENG, H2_2024)
    assert "新村" in names_in(TIANSHENG, H1_2025)
