"""The evaluation report as a 公文 (GB/T 9704-2012), read from the .docx XML: fonts and
sizes, the 22 × 28 document grid, margins, “— 1 —” page numbers outside on odd and even
pages 7 mm under the text, 署名 and 成文日期, no space between Chinese and figures, the
table's repeated header, the charts, the document's properties (ADR 0041)."""

import datetime
import io
import re
import zipfile

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from hypothesis import given
from hypothesis import strategies as st

from shequ.accounts.scope import operator_scope
from shequ.core.docx_pages import balanced_lines, text_width
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.evaluation.report_docx import (
    BODY_FONT,
    HEADING_FONT,
    SUBHEADING_FONT,
    TITLE_FONT,
    signature_indents,
)

from .test_evaluation import TODAY, two_years  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC)
# A Chinese character next to a figure with a space between (“192 个”, “达标率 2.6%”).
SPACED = re.compile(r"[\u4e00-\u9fff（）] +[0-9]|[0-9%] +[\u4e00-\u9fff（）]")


@pytest.fixture
def report(two_years):  # noqa: F811  (the imported fixture)
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    documents = evaluation_documents(result)
    data = documents.docx(now=NOW)
    return documents, data, docx.Document(io.BytesIO(data))


def _east_asian(run) -> str:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def _paragraph(document, starts: str):
    return next(p for p in document.paragraphs if p.text.startswith(starts))


def test_the_title_is_2hao_xiaobiaosong_broken_between_words(report):
    _, _, document = report
    title = document.paragraphs[0]
    assert title.text == "北碚区2026年城乡社区\n综合服务设施建设评估报告"
    for run in title.runs:
        assert (_east_asian(run), run.font.size.pt) == (TITLE_FONT, 22)


def test_headings_are_heiti_subheadings_kaiti_and_the_body_fangsong_3hao(report):
    _, _, document = report
    heading = _paragraph(document, "三、存在问题")
    assert [(_east_asian(r), r.font.size.pt) for r in heading.runs] == [(HEADING_FONT, 16)]
    item = _paragraph(document, "（一）部分街镇未完成年度目标。")
    first, rest = item.runs
    assert (first.text, _east_asian(first)) == ("（一）部分街镇未完成年度目标。", SUBHEADING_FONT)
    assert rest.text.startswith("施家梁镇达标率0.0%") and _east_asian(rest) == BODY_FONT
    body = _paragraph(document, "2026年，北碚区共有城乡社区（村）192个。")
    assert {(_east_asian(r), r.font.size.pt) for r in body.runs} == {(BODY_FONT, 16)}
    assert body.paragraph_format.first_line_indent is not None
    fonts = zipfile.ZipFile(io.BytesIO(report[1])).read("word/fontTable.xml").decode()
    for name, fallback in ((BODY_FONT, "仿宋"), (SUBHEADING_FONT, "楷体"), (TITLE_FONT, "宋体")):
        assert re.search(f'w:name="{name}".*?<w:altName w:val="{fallback}"/>', fonts, re.S)


def test_the_page_has_the_standards_margins_and_a_22_by_28_grid(report):
    _, _, document = report
    section = document.sections[0]
    margins = [section.top_margin, section.bottom_margin, section.left_margin]
    assert [round(m.mm) for m in [*margins, section.right_margin]] == [37, 35, 28, 26]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    line_pitch, char_space = int(grid.get(qn("w:linePitch"))), int(grid.get(qn("w:charSpace")))
    # 22 lines of the pitch fit 225 mm, 23 do not; 28 characters of 3号 plus charSpace fit
    # 156 mm, 29 do not (Word's pitch: the default size + charSpace / 4096 pt).
    height, width = Mm(225).twips, Mm(156).pt
    assert 22 * line_pitch <= height < 23 * line_pitch
    pitch = 16 + char_space / 4096
    assert 28 * pitch <= width < 29 * pitch
    normal = document.styles["Normal"].font
    assert (normal.size.pt, normal.name) == (16, BODY_FONT)
    body = _paragraph(document, "2026年，北碚区共有城乡社区（村）192个。")
    assert body.paragraph_format.line_spacing.twips == line_pitch


def test_page_numbers_outside_on_odd_and_even_pages_7mm_under_the_text(report):
    _, data, document = report
    settings = zipfile.ZipFile(io.BytesIO(data)).read("word/settings.xml").decode()
    assert "<w:evenAndOddHeaders/>" in settings
    section = document.sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert paragraph.alignment == {"right": 2, "left": 0}[side]
        assert 'w:fldCharType="begin"' in xml and "PAGE" in xml
        assert paragraph.text == "— 1 —"
        assert {(_east_asian(r), r.font.size.pt) for r in paragraph.runs} == {("宋体", 14)}
        indent = getattr(paragraph.paragraph_format, f"{side}_indent")
        assert indent == Pt(14)  # one character in from the type area's edge
    # The foot's single 14 pt line: its middle (the dashes) 7 mm under the type area.
    middle = section.footer_distance + Pt(14) // 2
    assert abs(Mm(35) - middle - Mm(7)) < Mm(0.1)


def test_signature_two_characters_in_and_the_date_two_characters_right_of_it(report):
    documents, _, document = report
    issuer = _paragraph(document, "重庆市北碚区民政局")
    date = _paragraph(document, "2026年11月26日")
    before = document.paragraphs[[p._p for p in document.paragraphs].index(issuer._p) - 1]
    assert before.text == ""  # one blank line under the text
    for paragraph in (issuer, date):
        assert paragraph.alignment == 0  # placed by its indent, not flush right
    issuer_at = int(issuer._p.pPr.ind.get(qn("w:leftChars")))
    date_at = int(date._p.pPr.ind.get(qn("w:leftChars")))
    assert date_at - issuer_at == 200
    assert documents.issuer == "重庆市北碚区民政局"


@given(
    issuer=st.text(alphabet="北碚区民政局重庆市街道办事处", min_size=2, max_size=20),
    day=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)),
)
def test_signature_rule_for_any_issuer_and_date(issuer, day):
    date = f"{day.year}年{day.month}月{day.day}日"
    issuer_at, date_at = signature_indents(issuer, date)
    assert date_at - issuer_at == 2
    ends = max(issuer_at + text_width(issuer), date_at + text_width(date))
    assert ends == 26  # the longer line ends two characters in from the right
    assert issuer_at + text_width(issuer) <= 26 and date_at + text_width(date) <= 26


@given(
    st.lists(
        st.text(alphabet="城乡社区综合服务设施建设评估报告2026年", min_size=1, max_size=8),
        min_size=1,
        max_size=8,
    )
)
def test_title_lines_break_only_between_words(words):
    lines = balanced_lines(words, 20)
    assert "".join(lines) == "".join(words)
    boundaries = {len("".join(words[:i])) for i in range(len(words) + 1)}
    position = 0
    for line in lines[:-1]:
        position += len(line)
        assert position in boundaries
    if all(text_width(w) <= 20 for w in words):
        assert all(text_width(line) <= 20 for line in lines)


def test_no_space_between_chinese_and_figures(report):
    documents, _, document = report
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for row in document.tables[0].rows for c in row.cells]
    text = documents.as_json()["report"]
    texts += text["overall"] + text["problems"] + text["next_steps"] + [text["streets"]]
    assert [t for t in texts if SPACED.search(t)] == []
    assert "共有城乡社区（村）192个" in "".join(texts)


def test_the_table_header_repeats_and_the_plans_column_counts_communities(report):
    documents, _, document = report
    table = document.tables[0]
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:tblHeader")) is None for row in table.rows[1:])
    assert header.cells[8].text == "计划本年\n达标社区\n计划/达标"
    total = table.rows[-1]
    assert total.cells[0].text == "合计"
    result = documents.evaluation
    assert total.cells[8].text == f"{result.total.planned}/{result.total.achieved}"
    # The text counts the same thing, named the same way.
    assert f"计划本年达标的社区{result.total.planned}个" in "\n".join(
        p.text for p in document.paragraphs
    )


def test_the_two_charts_are_pictures_with_captions(report):
    _, data, document = report
    media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
    assert len(media) == 2
    for name in media:
        assert zipfile.ZipFile(io.BytesIO(data)).read(name)[:8] == b"\x89PNG\r\n\x1a\n"
    captions = [p.text for p in document.paragraphs if p.text.startswith("图")]
    assert captions == ["图1　北碚区各期达标率与年度目标", "图2　2026年各街镇达标率排名"]


def test_properties_name_the_bureau_and_the_time_made(report):
    _, data, document = report
    properties = document.core_properties
    assert properties.author == properties.last_modified_by == "重庆市北碚区民政局"
    assert properties.created == properties.modified == NOW
    assert properties.title == "北碚区2026年城乡社区综合服务设施建设评估报告"
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert "python-docx" not in core and "2013" not in core


def test_points_round_half_up_as_the_workbook_does():
    """39 of 48 against last year's half: 81.25 % reads 81.3%, 31.3 points above 50.0%
    (Word and PDF once said 31.2, a float rounded half to even)."""
    from shequ.compliance.summary import points_between
    from shequ.evaluation.report import points

    assert points(points_between(39 / 48, 0.5)) == "31.3"
    assert points(points_between(0.769, 0.8)) == "3.1" and points(None) == "—"


@given(st.integers(1, 400), st.data(), st.sampled_from(["0.6", "0.7", "0.8", "0.85"]))
def test_a_gap_in_points_is_the_difference_of_the_rates_as_they_read(communities, data, target):
    """132 of 192 read 68.8%; against 80% the report said 相差11.3个百分点 (80 − 68.75
    rounded), which a reader checking 80.0 − 68.8 finds wrong. Every gap printed is the
    difference of the two figures printed."""
    from decimal import Decimal

    from shequ.compliance.summary import percent, points_between

    compliant = data.draw(st.integers(0, communities))
    rate, goal = compliant / communities, float(target)

    def read(value):
        return Decimal(percent(value).rstrip("%"))

    assert points_between(goal, rate) == read(goal) - read(rate)
    assert points_between(rate, goal) == -(read(goal) - read(rate))


def test_the_reports_and_the_headlines_gaps_add_up_with_the_rates_they_stand_beside():
    """132 of 192 compliant (68.75 %) reads 68.8%: 11.2 points short of 80.0%, not the
    11.3 of the unrounded gap; a rate reading as its target while short of it is short
    by less than a tenth of a point, never by none."""
    from decimal import Decimal
    from types import SimpleNamespace

    from shequ.compliance.summary import points_between
    from shequ.evaluation.report import _change_clause, _target_clause
    from shequ.web.templatetags.figures import points

    target = Decimal("0.8")
    short = SimpleNamespace(target=target, known=True, met=False, rate=132 / 192, needed=22)
    assert _target_clause(short) == ("未达到年度目标（80.0%），相差11.2个百分点，还需22个社区达标")
    barely = SimpleNamespace(target=target, known=True, met=False, rate=0.79995, needed=1)
    assert "相差不足0.1个百分点" in _target_clause(barely)
    just = SimpleNamespace(target=target, known=True, met=True, rate=0.80004, needed=0)
    assert _target_clause(just) == "达到年度目标（80.0%）"
    unit = SimpleNamespace(gap_points=points_between(0.8, 132 / 192), meets_target=False)
    assert points(unit) == "差 11.2 个百分点"
    unit = SimpleNamespace(gap_points=points_between(0.8, 0.79995), meets_target=False)
    assert points(unit) == "差不足 0.1 个百分点"
    # 68.75 % this year against 57.45 % last: 68.8 − 57.5 = 11.3 points, as both read.
    year = SimpleNamespace(change_points=points_between(132 / 192, 0.5745))
    assert _change_clause(year) == "，较上年提高11.3个百分点"
