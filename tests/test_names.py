"""Name matching: every real 北碚区 name, written the ways streets write it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.actors import Actor
from shequ.core.periods import PeriodCode
from shequ.regions.changes import region_rename
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.regions.names import CommunityNameIndex, MatchStatus, find_community, normalize_name

from .conftest import CHENGJIANG, XINXINGLU, YUNHE_CUN, YUNHE_SHEQU, region


def short_name(published: str) -> str:
    """新星路社区居民委员会 → 新星路社区, 三溪村村民委员会 → 三溪村: how streets write names."""
    for suffix in ("居民委员会", "村民委员会"):
        if published.endswith(suffix):
            return published[: -len(suffix)]
    return published


def to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def all_communities():
    return list(Region.objects.filter(level=Level.COMMUNITY).select_related("parent"))


@pytest.mark.parametrize("variant", ["published", "short", "居委会", "spaced"])
def test_every_real_name_is_found_in_its_street(beibei, variant):
    indexes: dict[int, CommunityNameIndex] = {}
    communities = all_communities()
    assert len(communities) == 192
    for community in communities:
        index = indexes.setdefault(community.parent_id, CommunityNameIndex.build(community.parent))
        written = {
            "published": community.name,
            "short": short_name(community.name),
            "居委会": short_name(community.name)
            + ("居委会" if community.name.endswith("居民委员会") else "村委会"),
            "spaced": " ".join(short_name(community.name)) + "　",
        }[variant]
        match = index.find(written)
        assert match.status is MatchStatus.FOUND, (written, match.message())
        assert match.region == community


def test_every_real_name_is_found_in_the_whole_district(beibei):
    index = CommunityNameIndex.build(region("500109"))
    for community in all_communities():
        assert index.find(community.name).region == community
        assert index.find(short_name(community.name)).region == community


def test_yunhe_alone_is_ambiguous_in_chengjiang_with_both_candidates(beibei):
    match = find_community("运河", within=region(CHENGJIANG))
    assert match.status is MatchStatus.AMBIGUOUS
    assert [c.code for c in match.candidates] == [YUNHE_SHEQU, YUNHE_CUN]
    assert "运河社区居民委员会" in match.message() and "运河村村民委员会" in match.message()


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("运河社区", YUNHE_SHEQU),
        ("运河村", YUNHE_CUN),
        ("运河社区居委会", YUNHE_SHEQU),
        ("运河村委会", YUNHE_CUN),
        ("运河村村民委员会", YUNHE_CUN),
    ],
)
def test_yunhe_with_its_kind_matches_its_own(beibei, written, code):
    assert find_community(written, within=region(CHENGJIANG)).region.code == code


def test_a_name_from_another_street_is_not_found(beibei):
    match = find_community("新星路社区", within=region(CHENGJIANG))
    assert match.status is MatchStatus.NOT_FOUND
    assert match.message("澄江镇") == "澄江镇中找不到社区/村“新星路社区”"


def test_a_kind_word_is_never_swapped(beibei):
    # 运河 has both kinds in 澄江镇; 新星路 has only a 社区, so 新星路村 must not find it.
    assert find_community("新星路村", within=region("500109001")).status is MatchStatus.NOT_FOUND


def test_names_as_of_a_period_follow_renames(beibei):
    region_rename(
        actor=Actor.command_line(),
        region=region(XINXINGLU),
        name="新星社区居民委员会",
        effective=PeriodCode.parse("2025H1"),
    )
    street = region("500109001")
    assert find_community("新星路社区", within=street, period=PeriodCode.parse("2024H2")).found
    assert not find_community("新星路社区", within=street, period=PeriodCode.parse("2025H1")).found
    assert find_community("新星社区", within=street).region.code == XINXINGLU


@given(
    st.text(alphabet="新星路天生桥西南大学北ＡＢ１２", min_size=1, max_size=10),
    st.sampled_from(["", " ", "　", "\t"]),
)
def test_committee_suffixes_and_spacing_never_change_a_name(stem, space):
    expected = normalize_name(stem) + "社区"
    for suffix in ("社区", "社区居民委员会", "社区居委会"):
        assert normalize_name(space + stem + space + suffix + space) == expected
    assert normalize_name(stem + "村村民委员会") == normalize_name(stem + "村委会")
    assert not set(expected) & {" ", "　", "Ａ", "１"}


@pytest.mark.parametrize(
    "written", ["500109001", "天生街道", "天生街道办事处", "天生", " 天生街道 "]
)
def test_a_street_is_found_by_code_or_by_name(beibei, written):
    from shequ.regions.names import find_street

    assert find_street(written, within=region("500109")).region.code == "500109001"


def test_an_unknown_street_is_named_in_the_message(beibei):
    from shequ.regions.names import find_street

    match = find_street("天堂镇", within=region("500109"))
    assert not match.found and match.message() == "找不到街镇“天堂镇”"
