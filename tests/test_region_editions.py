"""A new edition of the division codes against the tree: the diff and the successions file
(regions.editions, regions.successions), read without writing anything."""

from pathlib import Path

import pytest

from shequ.regions.editions import edition_diff
from shequ.regions.loading import RegionFileError
from shequ.regions.models import Region
from shequ.regions.successions import plan_successions, read_successions

from .edition_fixtures import Edition, successions_file

XINXINGLU, NINGXI = "500109001028", "500109001042"
XINAN_NORTH, XINAN_SOUTH = "500109001033", "500109001035"
YUTAI, CHENGBEI, GUOJIATUO, BEIQUAN = "500109003001", "500109003002", "500109003003", "500109003004"


def changed_edition() -> Edition:
    """Two renames, a move, six codes gone, five codes new, one 城乡分类代码 changed."""
    return (
        Edition()
        .rename(XINXINGLU, "新星路社区")
        .rename("500109002", "朝阳新街道")
        .move(NINGXI, "500109002")
        .remove(XINAN_NORTH, XINAN_SOUTH, YUTAI, CHENGBEI, GUOJIATUO)
        .add("500109001050", "西南大学社区居民委员会", "500109001")
        .add("500109003051", "雨台东社区居民委员会", "500109003")
        .add("500109003052", "雨台西社区居民委员会", "500109003")
        .add("500109003053", "城北新社区居民委员会", "500109003")
        .add("500109001060", "嘉陵社区居民委员会", "500109001")
        .urban_rural("500109003006", "112")
    )


SUCCESSIONS = [
    f"{XINAN_NORTH},500109001050,merge",
    f"{XINAN_SOUTH},500109001050,合并",
    f"{YUTAI},500109003051;500109003052,split",
    f"{CHENGBEI},500109003053,rename",
    f"{GUOJIATUO},{BEIQUAN},merge",
]


def diff_of(tmp_path: Path, edition: Edition):
    return edition_diff([Path(edition.write(tmp_path))])


def test_the_same_file_is_all_unchanged(beibei, tmp_path):
    diff = diff_of(tmp_path, Edition())
    assert diff.problems == []
    assert len(diff.unchanged) == 210
    assert (diff.added, diff.vanished, diff.renamed, diff.moved, diff.reclassified) == (
        [],
        [],
        [],
        [],
        [],
    )


def test_a_village_the_district_turned_into_a_community_stays_one(beibei, tmp_path):
    """The same code in a later edition says nothing new about its kind: the district's
    村改居 is not undone."""
    from shequ.core.actors import Actor
    from shequ.core.periods import PeriodCode
    from shequ.regions.changes import region_reclassify
    from shequ.regions.levels import Kind, UrbanRural

    from .conftest import YUNHE_CUN, region

    region_reclassify(
        actor=Actor.command_line(),
        region=region(YUNHE_CUN),
        effective=PeriodCode.parse("2026H2"),
        kind=Kind.NEIGHBOURHOOD,
        urban_rural_class=UrbanRural.URBAN,
    )
    diff = diff_of(tmp_path, Edition())
    assert diff.reclassified == [] and YUNHE_CUN in diff.unchanged


def test_each_change_of_an_edition_is_found_once(beibei, tmp_path):
    diff = diff_of(tmp_path, changed_edition())
    assert [row.code for row in diff.added] == [
        "500109001050",
        "500109003051",
        "500109003052",
        "500109003053",
        "500109001060",
    ]
    assert [r.code for r in diff.vanished] == [XINAN_NORTH, XINAN_SOUTH, YUTAI, CHENGBEI, GUOJIATUO]
    assert [(c.row.code, c.old_name, c.row.name) for c in diff.renamed] == [
        (XINXINGLU, "新星路社区居民委员会", "新星路社区"),
        ("500109002", "朝阳街道", "朝阳新街道"),
    ]
    assert [(c.row.code, c.old_parent_code, c.row.parent_code) for c in diff.moved] == [
        (NINGXI, "500109001", "500109002")
    ]
    assert [(c.row.code, c.urban_rural_code) for c in diff.reclassified] == [
        ("500109003006", ("111", "112"))
    ]
    assert len(diff.unchanged) == 210 - 5 - 4
    assert diff.problems == []


def test_the_rows_keep_their_file_lines(beibei, tmp_path):
    edition = changed_edition()
    diff = diff_of(tmp_path, edition)
    assert diff.renamed[0].row.where() == f"edition.csv 第{edition.line_of(XINXINGLU)}行"


def test_a_file_of_one_street_covers_only_that_street(beibei, tmp_path):
    edition = Edition()
    edition.rows = [row for row in edition.rows if row["code"].startswith("500109003")]
    edition.remove(YUTAI)
    diff = diff_of(tmp_path, edition)
    assert [r.code for r in diff.vanished] == [YUTAI]
    assert len(diff.unchanged) == len(edition.rows)


def test_a_code_that_was_deactivated_cannot_come_back(beibei, tmp_path):
    Region.objects.filter(code=XINAN_NORTH).update(valid_to=4050)
    edition = Edition()
    diff = diff_of(tmp_path, edition)
    assert [str(p) for p in diff.problems] == [
        f"edition.csv 第{edition.line_of(XINAN_NORTH)}行：代码 {XINAN_NORTH} "
        "是已于2025年上半年撤销的西南大学北社区居民委员会，区划代码不能重新使用"
    ]


def test_rows_under_a_vanished_street_are_problems(beibei, tmp_path):
    edition = Edition().remove("500109009")  # 复兴街道, whose villages stay in the file
    diff = diff_of(tmp_path, edition)
    villages = [row for row in edition.rows if row["parent_code"] == "500109009"]
    assert len(diff.problems) == len(villages) > 0
    assert diff.problems[0].message == "上级 500109009 不在新版文件中（已消失），不能挂在它下面"
    assert [r.code for r in diff.vanished] == ["500109009"]


def test_a_new_row_under_a_vanished_street_is_a_problem(beibei, tmp_path):
    edition = Edition().add("500109002099", "新社区居民委员会", "500109002")
    edition.rows = [
        row
        for row in edition.rows
        if row["code"] == "500109002099" or not row["code"].startswith("500109002")
    ]
    diff = diff_of(tmp_path, edition)
    assert f"edition.csv 第{edition.line_of('500109002099')}行" in [p.where for p in diff.problems]


def test_malformed_rows_are_the_loaders_problems_with_their_lines(beibei, tmp_path):
    edition = Edition().add("12345", "坏代码", "500109001")
    diff = diff_of(tmp_path, edition)
    assert [str(p) for p in diff.problems] == [
        f"edition.csv 第{edition.line_of('12345')}行：代码“12345”不是有效的社区/村区划代码"
    ]


def test_successions_cover_every_vanished_code(beibei, tmp_path):
    diff = diff_of(tmp_path, changed_edition())
    lines, problems = read_successions(Path(successions_file(tmp_path, SUCCESSIONS)))
    plan = plan_successions(diff, lines)
    assert problems == [] and plan.problems == []
    assert plan.merges() == {
        "500109001050": [XINAN_NORTH, XINAN_SOUTH],
        BEIQUAN: [GUOJIATUO],
    }
    assert [line.new_codes for line in plan.of_kind("split")] == [("500109003051", "500109003052")]
    assert [line.old_code for line in plan.of_kind("rename")] == [CHENGBEI]


def test_a_vanished_code_without_a_succession_is_named(beibei, tmp_path):
    diff = diff_of(tmp_path, changed_edition())
    plan = plan_successions(
        diff, read_successions(Path(successions_file(tmp_path, SUCCESSIONS[:4])))[0]
    )
    assert [str(p) for p in plan.problems] == [
        "郭家沱社区居民委员会（500109003003）："
        "不在新版文件中，但没有给出承继（--successions 文件），不能撤销"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("500109009999,500109001050,merge", "原代码 500109009999 在系统中不存在"),
        (f"{XINXINGLU},500109001050,merge", "仍在新版文件中"),
        (f"{GUOJIATUO},500109003099,merge", "新代码 500109003099 不在新版文件中"),
        (f"{GUOJIATUO},500109003051,rename", "新代码 500109003051 已在第4行用过"),
        (f"{GUOJIATUO},{BEIQUAN},rename", "应是新版新增的代码"),
        (f"{GUOJIATUO},500109001060,split", "拆分至少要有两个新代码"),
        (f"{GUOJIATUO},500109001060;{BEIQUAN},merge", "合并只能写一个新代码"),
        (f"{GUOJIATUO},500109001060,merge", "至少需要两个原代码"),
        (f"{GUOJIATUO},500109003,merge", "不是同一层级"),
        (f"{GUOJIATUO},{BEIQUAN},absorb", "方式“absorb”无法识别"),
        (f"{XINAN_NORTH},{BEIQUAN},merge", "与第2行重复"),
    ],
)
def test_a_wrong_succession_line_is_refused_with_its_line(beibei, tmp_path, line, message):
    diff = diff_of(tmp_path, changed_edition())
    lines, problems = read_successions(Path(successions_file(tmp_path, [*SUCCESSIONS[:4], line])))
    plan = plan_successions(diff, lines)
    found = [p for p in problems + plan.problems if p.where == "successions.csv 第6行"]
    assert len(found) == 1 and message in found[0].message, [
        str(p) for p in problems + plan.problems
    ]


def test_a_split_must_stay_under_the_old_street(beibei, tmp_path):
    edition = changed_edition().move("500109003052", "500109001")
    diff = diff_of(tmp_path, edition)
    plan = plan_successions(
        diff, read_successions(Path(successions_file(tmp_path, SUCCESSIONS)))[0]
    )
    assert [p.where for p in plan.problems] == ["successions.csv 第4行"]
    assert "不在原上级 500109003 下" in plan.problems[0].message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_the_successions_file_is_read_as_excel_saves_it(tmp_path, encoding):
    path = successions_file(
        tmp_path,
        ["500109001033,500109001050,合并", "500109003001,500109003051|500109003052,拆分"],
        encoding=encoding,
        header="原代码,新代码,方式",
    )
    lines, problems = read_successions(Path(path))
    assert problems == []
    assert [(line.old_code, line.new_codes, line.kind) for line in lines] == [
        ("500109001033", ("500109001050",), "merge"),
        ("500109003001", ("500109003051", "500109003052"), "split"),
    ]


def test_a_successions_file_in_another_encoding_or_header_is_refused(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("old_code,new_codes,kind\n1,2,合并\n".encode("utf-16"))
    with pytest.raises(RegionFileError, match="不是 UTF-8 或 GBK 编码"):
        read_successions(path)
    with pytest.raises(RegionFileError, match="表头应为 old_code,new_codes,kind"):
        read_successions(Path(successions_file(tmp_path, [], header="from,to,how")))
