"""`shequ load-regions FILE --effective PERIOD`: a new edition of the division codes, its
report, the dry run, and `--apply` all or nothing."""

from pathlib import Path

import pytest

from shequ.core.models import AuditEvent
from shequ.ledger.models import LedgerRow
from shequ.regions.models import Region, RegionSuccession, RegionVersion

from .edition_fixtures import shequ, shequ_json, successions_file
from .test_region_editions import (
    BEIQUAN,
    CHENGBEI,
    GUOJIATUO,
    NINGXI,
    SUCCESSIONS,
    XINAN_NORTH,
    XINAN_SOUTH,
    XINXINGLU,
    YUTAI,
    changed_edition,
)


def tree() -> tuple:
    """Everything an edition could write, to compare before and after."""
    regions = list(Region.objects.order_by("code").values_list())
    versions = list(RegionVersion.objects.order_by("pk").values_list())
    return regions, versions, RegionSuccession.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def files(beibei, tmp_path):
    edition = changed_edition()
    return edition, edition.write(tmp_path), successions_file(tmp_path, SUCCESSIONS)


def test_the_dry_run_reports_every_change_and_writes_nothing(files):
    edition, path, succession_path = files
    before = tree()
    code, document = shequ_json(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path
    )
    assert code == 0
    assert tree() == before
    assert document["effective"] == "2027H1"
    assert (document["ok"], document["applied"], document["refused"]) == (True, False, False)
    assert document["files"] == ["edition.csv"]
    assert document["successions_file"] == "successions.csv"
    assert document["counts"] == {
        "added": 5,
        "vanished": 5,
        "renamed": 2,
        "moved": 1,
        "reclassified": 1,
        "unchanged": 201,
    }
    assert document["added"][0] == {
        "code": "500109001050",
        "name": "西南大学社区居民委员会",
        "level": "community",
        "parent_code": "500109001",
        "file": "edition.csv",
        "line": edition.line_of("500109001050"),
    }
    assert [(v["code"], v["succession"]) for v in document["vanished"]] == [
        (XINAN_NORTH, {"kind": "merge", "new_codes": ["500109001050"], "line": 2}),
        (XINAN_SOUTH, {"kind": "merge", "new_codes": ["500109001050"], "line": 3}),
        (YUTAI, {"kind": "split", "new_codes": ["500109003051", "500109003052"], "line": 4}),
        (CHENGBEI, {"kind": "rename", "new_codes": ["500109003053"], "line": 5}),
        (GUOJIATUO, {"kind": "merge", "new_codes": [BEIQUAN], "line": 6}),
    ]
    assert document["vanished"][0]["name"] == "西南大学北社区居民委员会"
    assert document["vanished"][0]["parent_code"] == "500109001"
    assert document["renamed"] == [
        {
            "code": XINXINGLU,
            "old_name": "新星路社区居民委员会",
            "new_name": "新星路社区",
            "file": "edition.csv",
            "line": edition.line_of(XINXINGLU),
        },
        {
            "code": "500109002",
            "old_name": "朝阳街道",
            "new_name": "朝阳新街道",
            "file": "edition.csv",
            "line": edition.line_of("500109002"),
        },
    ]
    assert document["moved"] == [
        {
            "code": NINGXI,
            "name": "宁溪社区居民委员会",
            "old_parent_code": "500109001",
            "new_parent_code": "500109002",
            "file": "edition.csv",
            "line": edition.line_of(NINGXI),
        }
    ]
    assert document["reclassified"] == [
        {
            "code": "500109003006",
            "name": "新天花园社区居民委员会",
            "urban_rural_code": ["111", "112"],
            "file": "edition.csv",
            "line": edition.line_of("500109003006"),
        }
    ]
    assert document["problems"] == []
    # The dry run made each change, in this order, and rolled back.
    assert document["changes"] == [
        "已新设嘉陵社区居民委员会，自2027年上半年起生效",
        "已更名为新星路社区，自2027年上半年起生效",
        "已更名为朝阳新街道，自2027年上半年起生效",
        "已调整到朝阳新街道，自2027年上半年起生效",
        "新天花园社区居民委员会的城乡分类代码由111改为112",
        "已合并为西南大学社区居民委员会，自2027年上半年起生效",
        "已拆分为雨台东社区居民委员会、雨台西社区居民委员会，自2027年上半年起生效",
        "城北社区居民委员会已改为代码 500109003053，自2027年上半年起生效",
        "已并入北泉社区居民委员会，自2027年上半年起生效",
        "西南大学社区居民委员会的城乡分类代码由无改为111",
        "雨台东社区居民委员会的城乡分类代码由无改为111",
        "雨台西社区居民委员会的城乡分类代码由无改为111",
    ]


def test_the_dry_run_in_chinese_says_it_wrote_nothing(files):
    _, path, succession_path = files
    code, out, _ = shequ(
        "load-regions", path, "--effective", "2027年上半年", "--successions", succession_path
    )
    assert code == 0
    assert "新版区划（自2027年上半年起）与系统中的区划树比较：" in out
    assert "新增 5 个：" in out
    assert f"  {XINXINGLU} 新星路社区居民委员会 → 新星路社区" in out
    assert (
        f"  {CHENGBEI} 城北社区居民委员会：更名（改码）→ 500109003053（successions.csv 第5行）"
        in out
    )
    assert "城乡分类代码 111 → 112" in out
    assert "未变 201 个" in out
    assert out.rstrip().endswith("这是预览，没有写入；确认无误后加 --apply 写入")


def test_without_successions_each_vanished_code_is_refused_by_name(files):
    _, path, _ = files
    before = tree()
    code, document = shequ_json("load-regions", path, "--effective", "2027H1", "--apply")
    assert code == 1
    assert tree() == before
    assert document["ok"] is False and document["applied"] is False
    assert [v["succession"] for v in document["vanished"]] == [None] * 5
    assert [p["where"] for p in document["problems"]] == [
        "西南大学北社区居民委员会（500109001033）",
        "西南大学南社区居民委员会（500109001035）",
        "雨台花园社区居民委员会（500109003001）",
        "城北社区居民委员会（500109003002）",
        "郭家沱社区居民委员会（500109003003）",
    ]
    assert document["problems"][0]["message"] == (
        "不在新版文件中，但没有给出承继（--successions 文件），不能撤销"
    )


def test_apply_writes_the_whole_edition_audited(files):
    _, path, succession_path = files
    code, out, _ = shequ(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path, "--apply"
    )
    assert code == 0, out
    assert "新版区划代码已全部写入" in out
    ended = Region.objects.filter(code__in=[XINAN_NORTH, XINAN_SOUTH, YUTAI, CHENGBEI, GUOJIATUO])
    assert set(ended.values_list("valid_to", flat=True)) == {4054}
    assert Region.objects.get(code=XINXINGLU).name == "新星路社区"
    assert Region.objects.get(code="500109002").name == "朝阳新街道"
    assert Region.objects.get(code=NINGXI).parent.code == "500109002"
    assert Region.objects.get(code="500109003006").urban_rural_code == "112"
    assert Region.objects.get(code="500109001060").parent.code == "500109001"
    successions = set(
        RegionSuccession.objects.values_list("predecessor__code", "successor__code", "kind")
    )
    assert successions == {
        (XINAN_NORTH, "500109001050", "merge"),
        (XINAN_SOUTH, "500109001050", "merge"),
        (YUTAI, "500109003051", "split"),
        (YUTAI, "500109003052", "split"),
        (CHENGBEI, "500109003053", "rename"),
        (GUOJIATUO, BEIQUAN, "merge"),
    }
    assert Region.objects.get(code="500109003053").name == "城北新社区居民委员会"
    event = AuditEvent.objects.get(action="regions.edition")
    assert event.changes["effective"] == "2027H1"
    assert event.actor == "命令行"
    assert "新增 5、消失 5、更名 2、调整上级 1、调整类别 1" in event.summary


def test_after_apply_the_same_edition_is_unchanged(files):
    _, path, succession_path = files
    shequ(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path, "--apply"
    )
    code, document = shequ_json("load-regions", path, "--effective", "2027H2")
    assert code == 0
    assert document["counts"] == {
        "added": 0,
        "vanished": 0,
        "renamed": 0,
        "moved": 0,
        "reclassified": 0,
        "unchanged": 210 + 5 - 5,
    }


def test_one_wrong_succession_writes_nothing(files, tmp_path):
    _, path, _ = files
    wrong = successions_file(
        tmp_path, [*SUCCESSIONS[:2], f"{YUTAI},500109003051,split", *SUCCESSIONS[3:]]
    )
    before = tree()
    code, document = shequ_json(
        "load-regions", path, "--effective", "2027H1", "--successions", wrong, "--apply"
    )
    assert code == 1
    assert tree() == before
    assert document["applied"] is False
    assert document["problems"] == [
        {
            "where": "successions.csv 第4行",
            "message": "拆分至少要有两个新代码；只是换了代码请用 rename（更名）",
        }
    ]


def test_a_refusal_by_a_service_rolls_back_the_changes_before_it(files):
    edition, path, succession_path = files
    # 宁溪 already has a change from 2028H1: a move from 2027H1 would rewrite its history.
    shequ(
        "region-change", "rename", NINGXI, "--name", "宁溪社区", "--effective", "2028H1", "--apply"
    )
    before = tree()
    code, document = shequ_json(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path, "--apply"
    )
    assert code == 1
    assert tree() == before
    [problem] = document["problems"]
    assert problem["where"] == f"edition.csv 第{edition.line_of(NINGXI)}行"
    assert problem["message"].startswith("写入时被拒绝：")
    assert "不能早于" in problem["message"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_the_successions_file_may_be_saved_by_excel_in_any_of_its_encodings(
    files, tmp_path, encoding
):
    _, path, _ = files
    chinese = [
        line.replace("merge", "合并").replace("split", "拆分").replace("rename", "更名")
        for line in SUCCESSIONS
    ]
    succession_path = successions_file(
        tmp_path, chinese, encoding=encoding, header="原代码,新代码,方式", name=f"{encoding}.csv"
    )
    code, document = shequ_json(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path, "--apply"
    )
    assert (code, document["applied"]) == (0, True), document["problems"]
    assert Region.objects.get(code=CHENGBEI).valid_to == 4054


def test_a_successions_file_that_cannot_be_read_is_refused_with_exit_2(files, tmp_path):
    _, path, _ = files
    code, document = shequ_json(
        "load-regions", path, "--effective", "2027H1", "--successions", str(tmp_path / "none.csv")
    )
    assert code == 2
    assert document["refused"] is True
    assert document["problems"][0]["message"].startswith("无法读取")


def test_a_street_user_may_not_load_an_edition(files, tiansheng_approver):
    _, path, _ = files
    code, _, err = shequ(
        "load-regions", path, "--effective", "2027H1", "--as", "tiansheng-approver", "--apply"
    )
    assert code == 1
    assert "只有管理员可以导入区划" in err


def test_a_bad_period_is_refused_in_chinese(files):
    _, path, _ = files
    code, _, err = shequ("load-regions", path, "--effective", "2027H3")
    assert code == 2  # a value that is no period: a usage error (ADR 0038)
    assert "报告期“2027H3”格式不对" in err


def test_without_effective_the_options_of_an_edition_are_refused(files):
    _, path, succession_path = files
    code, _, err = shequ("load-regions", path, "--successions", succession_path)
    assert code == 1
    assert "须同时给出 --effective" in err


def test_a_vanished_code_whose_succession_is_wrong_points_to_the_problem(files, tmp_path):
    _, path, _ = files
    wrong = successions_file(
        tmp_path, [*SUCCESSIONS[:3], f"{CHENGBEI},500109003053;500109003099,rename", SUCCESSIONS[4]]
    )
    code, out, _ = shequ("load-regions", path, "--effective", "2027H1", "--successions", wrong)
    assert code == 1
    assert f"  {CHENGBEI} 城北社区居民委员会：承继有误，见下方问题" in out
    assert "  successions.csv 第5行：新代码 500109003099 不在新版文件中" in out
    assert out.rstrip().endswith("有问题，未写入任何数据")


def test_the_open_periods_ledger_follows_the_edition(beibei, tmp_path):
    """The edition goes through the region-change services: an open period's rows follow."""
    edition = changed_edition().add(GUOJIATUO, "郭家沱社区居民委员会", "500109003")
    path = edition.write(tmp_path)
    succession_path = successions_file(tmp_path, SUCCESSIONS[:4])
    assert shequ("open-period", "2027H1")[0] == 0
    code, out, _ = shequ(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path, "--apply"
    )
    assert code == 0, out
    rows = LedgerRow.objects.filter(period__ordinal=4054)
    codes = set(rows.values_list("community__code", flat=True))
    assert {"500109001050", "500109003051", "500109003052", "500109003053", "500109001060"} <= codes
    assert codes.isdisjoint({XINAN_NORTH, XINAN_SOUTH, YUTAI, CHENGBEI})
    assert rows.get(community__code=NINGXI).street.code == "500109002"


def test_a_merge_into_a_community_that_stays_with_an_open_period(files):
    _, path, succession_path = files
    assert shequ("open-period", "2027H1")[0] == 0
    code, out, _ = shequ(
        "load-regions", path, "--effective", "2027H1", "--successions", succession_path, "--apply"
    )
    assert code == 0, out
    assert Region.objects.get(code=GUOJIATUO).valid_to == 4054


def test_a_split_communitys_plan_goes_where_the_plans_column_says(files, tmp_path):
    """The fourth column (方案): a split's plan needs a new code to go to, or 撤销."""
    from shequ.plans.models import Plan

    from .ledger_helpers import approve_street, open_period

    approve_street(open_period("2026H1"), "500109003", households=1000, service_center="250.0")
    plan = Plan.objects.get(community__code=YUTAI)
    _, path, _ = files
    refused = successions_file(tmp_path, SUCCESSIONS, name="without.csv")
    code, out, _ = shequ("load-regions", path, "--effective", "2027H1", "--successions", refused)
    assert code == 1 and "请指定由哪个拆分后的社区承接" in out
    lines = [line + ("" if YUTAI not in line else ",500109003052") for line in SUCCESSIONS]
    named = successions_file(tmp_path, lines, header="old_code,new_codes,kind,plans")
    code, out, _ = shequ(
        "load-regions", path, "--effective", "2027H1", "--successions", named, "--apply"
    )
    assert code == 0, out
    plan.refresh_from_db()
    assert plan.community.code == "500109003052" and plan.is_open
    # The recoded and the merged-into communities' plans went on with them.
    assert Plan.objects.get(community__code="500109003053").is_open
    assert (
        not Plan.objects.filter(community__valid_to__isnull=False)
        .exclude(state__in=["closed", "withdrawn"])
        .exists()
    )


def test_the_plans_column_names_only_a_new_code_of_a_split(tmp_path):
    from shequ.regions.successions import read_successions

    path = successions_file(
        tmp_path,
        [f"{CHENGBEI},500109003053,rename,500109003053", f"{YUTAI},1;2,split,3"],
        header="原代码,新代码,方式,方案",
    )
    lines, problems = read_successions(Path(path))
    assert lines == []
    assert [p.message for p in problems] == [
        "方案一栏只能留空或填“撤销”（更名（改码）时方案随区划转给新代码）",
        "方案一栏的 3 不是本行拆分出的新代码",
    ]
