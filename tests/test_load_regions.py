"""`shequ load-regions`: the real division files, idempotence, and whole-file refusals."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.core.models import AuditEvent
from shequ.regions.levels import Kind, Level, UrbanRural
from shequ.regions.models import Region, RegionVersion

HEADER = "code,name,level,parent_code,urban_rural_code,source_year\n"


def run(*args) -> str:
    out = io.StringIO()
    call_command("load-regions", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


@pytest.fixture
def empty_tree(db):
    """Tests of loading start from an empty tree, not the session's 北碚区."""
    from shequ.accounts.models import User

    User.objects.all().delete()
    RegionVersion.objects.all().delete()
    Region.objects.filter(level=Level.COMMUNITY).delete()
    Region.objects.filter(level=Level.STREET).delete()
    Region.objects.all().delete()


def test_beibei_gives_one_root_with_17_streets_and_192_communities(empty_tree):
    output = run("beibei_divisions.csv")
    root = Region.objects.get(parent__isnull=True)
    assert (root.code, root.name, root.level) == ("500109", "北碚区", Level.COUNTY)
    assert Region.objects.filter(level=Level.STREET).count() == 17
    assert Region.objects.filter(level=Level.COMMUNITY).count() == 192
    assert "街镇：新增 17" in output
    assert "社区/村：新增 192" in output


def test_kinds_and_classes_follow_the_code_segments(beibei):
    streets = Region.objects.filter(level=Level.STREET)
    assert streets.filter(kind=Kind.SUBDISTRICT).count() == 9
    assert streets.filter(kind=Kind.TOWN).count() == 8
    communities = Region.objects.filter(level=Level.COMMUNITY)
    for community in communities:
        is_village = 200 <= int(community.code[9:]) <= 399
        assert community.kind == (Kind.VILLAGE if is_village else Kind.NEIGHBOURHOOD)
        expected = UrbanRural.RURAL if is_village else UrbanRural.URBAN
        assert community.urban_rural_class == expected
    xinxing = Region.objects.get(code="500109001028")
    assert xinxing.urban_rural_code == "111"
    assert xinxing.path == "/500109/500109001/500109001028/"
    assert xinxing.versions.count() == 1


def test_a_second_load_changes_nothing_and_says_so(beibei):
    events = AuditEvent.objects.count()
    output = run("beibei_divisions.csv")
    assert "没有任何变化" in output
    assert "社区/村：新增 0，已存在未变 192" in output
    assert AuditEvent.objects.count() == events
    assert Region.objects.count() == 210


def test_json_output_is_one_document_with_counts(beibei, capsys):
    call_command("load-regions", "beibei_divisions.csv", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["changed"] is False
    assert document["root"] == {"code": "500109", "name": "北碚区"}
    assert document["unchanged"]["community"] == 192
    assert document["created"]["street"] == 0


def test_the_whole_city_loads_from_the_two_chongqing_files(empty_tree):
    output = run("chongqing_counties.csv", "chongqing_villages.csv")
    assert Region.objects.count() == 12_340
    root = Region.objects.get(parent__isnull=True)
    assert (root.code, root.name) == ("50", "重庆市")
    assert Region.objects.filter(level=Level.COUNTY).count() == 38
    assert Region.objects.filter(level=Level.STREET).count() == 1_031
    assert Region.objects.filter(level=Level.COMMUNITY).count() == 11_270
    assert RegionVersion.objects.count() == 12_340
    assert "社区/村：新增 11270" in output


def refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    return str(error.value)


def test_the_villages_file_alone_is_refused_for_having_many_roots(empty_tree):
    message = refused("chongqing_villages.csv")
    assert "区划树只能有一个根节点" in message or "不存在" in message
    assert Region.objects.count() == 0


def test_a_missing_parent_is_refused_with_its_line(empty_tree, tmp_path):
    path = write(
        tmp_path,
        "bad.csv",
        "500109,北碚区,county,50,,2023\n"
        "500109001,天生街道,street,500109,,2023\n"
        "500109099001,某社区居民委员会,village,500109099,111,2023\n",
    )
    message = refused(path)
    assert "bad.csv 第4行" in message
    assert "上级代码“500109099”在文件和系统中都不存在" in message
    assert Region.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("50010900X,坏街道,street,500109,,2023", "不是有效的街镇区划代码"),
        ("5001090011,坏街道,street,500109,,2023", "不是有效的街镇区划代码"),
        ("500109002,朝阳街道,town-ish,500109,,2023", "层级“town-ish”无法识别"),
        ("500109002,,street,500109,,2023", "名称为空"),
        ("500109002,朝阳街道,street,500109,1x1,2023", "城乡分类代码"),
    ],
)
def test_malformed_rows_are_refused_whole(empty_tree, tmp_path, line, reason):
    path = write(tmp_path, "bad.csv", f"500109,北碚区,county,50,,2023\n{line}\n")
    message = refused(path)
    assert "bad.csv 第3行" in message
    assert reason in message
    assert Region.objects.count() == 0


def test_a_duplicate_code_is_refused_naming_both_lines(empty_tree, tmp_path):
    path = write(
        tmp_path,
        "dup.csv",
        "500109,北碚区,county,50,,2023\n"
        "500109001,天生街道,street,500109,,2023\n"
        "500109001,天生街道,street,500109,,2023\n",
    )
    message = refused(path)
    assert "dup.csv 第4行：代码 500109001 与dup.csv 第3行重复" in message
    assert Region.objects.count() == 0


def test_a_second_root_is_refused(beibei, tmp_path):
    path = write(tmp_path, "other.csv", "500110,綦江区,county,50,,2023\n")
    message = refused(path)
    assert "区划树只能有一个根节点" in message
    assert not Region.objects.filter(code="500110").exists()


def test_a_file_that_disagrees_with_stored_names_is_refused(beibei, tmp_path):
    path = write(
        tmp_path,
        "renamed.csv",
        "500109,北碚区,county,50,,2023\n500109001,天生新街道,street,500109,,2023\n",
    )
    message = refused(path)
    assert "区划 500109001 已存在，但名称（系统中为“天生街道”）与文件不同" in message
    assert Region.objects.get(code="500109001").name == "天生街道"


def test_a_community_under_a_county_is_refused(empty_tree, tmp_path):
    path = write(
        tmp_path,
        "bad.csv",
        "500109,北碚区,county,50,,2023\n500109001028,新星路社区,village,500109,111,2023\n",
    )
    assert "社区/村的上级必须是街镇" in refused(path)


def test_a_file_that_does_not_exist_is_named(db):
    assert "nowhere.csv：文件不存在" in refused("nowhere.csv")


def test_a_file_with_the_wrong_header_is_refused(empty_tree, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("代码,名称\n500109,北碚区\n", encoding="utf-8")
    assert "wrong.csv 第1行：表头应为" in refused(str(path))
