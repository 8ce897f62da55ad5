"""The PDFs of the 统计台帐 and of the evaluation report (ADR 0041): every font embedded
(TrueType subsets, FontFile2), A4 (the book landscape, the report portrait), plausible
page counts, the header rows on every page of the book, the figures as the database has
them in the extractable text, page numbers; the downloads scoped like the other exports."""

import csv
import datetime
import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    KeepInFrame,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    Spacer,
    Table,
)

import shequ
from shequ.accounts.scope import operator_scope
from shequ.core.errors import DomainError
from shequ.core.pdf_pages import (
    HEI,
    SONG,
    TITLE_SONG,
    register_fonts,
    require_glyphs,
    require_story_glyphs,
)
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.evaluation.report import report_text
from shequ.ledger import rules
from shequ.ledger.book_pdf import write_pdf
from shequ.ledger.models import LedgerRow
from shequ.regions.models import Region, RegionVersion
from shequ.workflow.ledger_files import ledger_workbook

from .conftest import CHENGJIANG, PASSWORD, TIANSHENG
from .test_evaluation import TODAY, two_years  # noqa: F401  (the fixture)
from .test_ledger_book import period  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.UTC)
A4 = (595, 842)


def fonts_of(reader: PdfReader) -> list[dict]:
    """Every font the pages use, with its descendant (Type0) and its descriptor."""
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            leaf = descendants[0].get_object() if descendants else font
            found.append(
                {"name": str(font["/BaseFont"]), "descriptor": leaf.get("/FontDescriptor")}
            )
    return found


def assert_all_fonts_embedded(reader: PdfReader) -> None:
    fonts = fonts_of(reader)
    assert fonts
    for font in fonts:
        descriptor = font["descriptor"]
        assert descriptor is not None, f"{font['name']} is not embedded"
        assert "/FontFile2" in descriptor.get_object(), f"{font['name']} has no TrueType file"
    names = {f["name"].split("+")[-1] for f in fonts}
    assert names <= {"NotoSerifSC-Regular", "NotoSerifSC-Bold", "NotoSansSC-Medium"}


def size_of(page) -> tuple[int, int]:
    box = page.mediabox
    return round(float(box.width)), round(float(box.height))


def text_of(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def test_the_ledger_book_pdf(period):  # noqa: F811
    book = ledger_workbook(scope=operator_scope(), period=period, street=None)
    data = write_pdf(book, author="重庆市北碚区民政局", now=NOW)
    if os.environ.get("SHEQU_KEEP_PDF"):  # to look at the pages (ADR 0041)
        with open(os.environ["SHEQU_KEEP_PDF"] + "/ledger.pdf", "wb") as kept:
            kept.write(data)
    reader = PdfReader(io.BytesIO(data))
    assert_all_fonts_embedded(reader)
    assert {size_of(page) for page in reader.pages} == {(842, 595)}  # A4 landscape
    rows = list(LedgerRow.objects.filter(period=period))
    # 192 communities, 17 streets' 小计, two 合计 and the 城乡合计: some 10–20 lines a page.
    assert 8 <= len(reader.pages) <= 30
    pages = text_of(reader)
    for text in pages:
        assert "序号" in text and "其中" in text and "便民服务" in text  # headers repeated
    everything = "\n".join(pages)
    assert everything.count("小计") >= 17 and "城乡合计" in everything
    sums = rules.sums(rows)
    assert str(sums.households) in everything
    assert f"{sums.total:.1f}" in everything
    ratio = rules.rounded_ratio(sums.per_100_households)
    assert f"{ratio:.2f}" in everything
    assert "北碚区城乡社区综合服务设施统计台帐（未审核）" in everything
    assert reader.metadata.author == "重庆市北碚区民政局"


def test_the_evaluation_report_pdf(two_years):  # noqa: F811
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    documents = evaluation_documents(result)
    data = documents.pdf(now=NOW)
    if os.environ.get("SHEQU_KEEP_PDF"):
        with open(os.environ["SHEQU_KEEP_PDF"] + "/report.pdf", "wb") as kept:
            kept.write(data)
    reader = PdfReader(io.BytesIO(data))
    assert_all_fonts_embedded(reader)
    assert {size_of(page) for page in reader.pages} == {A4}
    assert 2 <= len(reader.pages) <= 8
    pages = [text.replace("\n", "") for text in text_of(reader)]
    whole = "".join(pages)
    total = result.total
    assert f"共有城乡社区（村）{total.communities}个" in whole
    assert f"达到30平方米的{total.compliant}个，达标率2.6%" in whole
    assert "重庆市北碚区民政局" in whole and "2026年11月26日" in whole
    for number, text in enumerate(pages, start=1):
        assert f"— {number} —" in text
    assert reader.metadata.author == "重庆市北碚区民政局"
    assert len([name for page in reader.pages for name in page.images]) == 2  # the charts


def test_every_shipped_place_name_prints_and_a_missing_character_is_refused():
    """The subsets keep GB 2312 and every character of the shipped division files (some
    beyond GB 2312); a character the fonts lack is refused, never drawn as an empty box."""
    names = ""
    for path in (Path(shequ.__file__).parent / "regions" / "data").glob("*.csv"):
        with path.open(encoding="utf-8") as lines:
            names += "".join(row["name"] for row in csv.DictReader(lines))
    beyond = {c for c in names if ord(c) > 0x7F and not _in_gb2312(c)}
    assert beyond  # the point of keeping them
    for font in (SONG, HEI, TITLE_SONG):
        require_glyphs(names, font)
    with pytest.raises(DomainError, match="PDF 字体缺少以下字符：𠀀"):
        require_glyphs("测试𠀀社区")


MISSING = "𠀀"  # CJK Extension B: in none of the subsets (the test above)
REFUSAL = f"PDF 字体缺少以下字符：{MISSING}，请下载 Word 或 Excel 文件"


@pytest.fixture
def tiansheng_beyond_the_fonts(beibei) -> str:
    """天生街道 named with a character the fonts lack, as a division file would name it,
    before any ledger is kept."""
    name = f"天生{MISSING}街道"
    Region.objects.filter(code=TIANSHENG).update(name=name)
    RegionVersion.objects.filter(region__code=TIANSHENG).update(name=name)
    return name


# matplotlib warns of a glyph it draws as a box: none may be drawn (the chart is left out).
@pytest.mark.filterwarnings("error:Glyph")
def test_a_missing_character_in_a_report_table_cell_is_refused(
    tiansheng_beyond_the_fonts,
    two_years,  # noqa: F811
):
    """天生街道's ledger is not approved: it appears in the report's table only, never in
    a sentence; a character the fonts lack there is refused as in a paragraph."""
    name = tiansheng_beyond_the_fonts
    documents = evaluation_documents(evaluate(scope=operator_scope(), year=2026, today=TODAY))
    assert not any(MISSING in sentence for sentence in sentences(report_text(documents.evaluation)))
    assert name in [row.name for row in documents.evaluation.rows]
    with pytest.raises(DomainError) as refused:
        documents.pdf(now=NOW)
    assert refused.value.message == REFUSAL
    assert documents.docx(now=NOW)  # the Word report has no such limit


@pytest.mark.filterwarnings("error:Glyph")
def test_a_chart_whose_names_the_chart_font_lacks_is_left_out_and_says_why(
    tiansheng_beyond_the_fonts,
    two_years,  # noqa: F811
):
    """The Word report keeps the name (Word draws it with the reader's fonts), but the
    ranking chart is a picture drawn with the shipped font: drawn, 天生街道's bar would be
    labelled with an empty box. It is left out, its caption saying why; the trend stays."""
    documents = evaluation_documents(evaluate(scope=operator_scope(), year=2026, today=TODAY))
    data = documents.docx(now=NOW)
    media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
    assert len(media) == 1  # the trend
    captions = [
        p.text for p in docx.Document(io.BytesIO(data)).paragraphs if p.text.startswith("图")
    ]
    assert captions == [
        "图1　北碚区各期达标率与年度目标",
        f"图2　2026年各街镇达标率排名（未绘制：图表字体缺少“{MISSING}”字，"
        "绘出会显示为空白方框；数据见正文和表格）",
    ]


def sentences(text) -> list[str]:
    return [*text.overall, text.streets, *text.problems, *text.next_steps]


def test_a_missing_character_under_the_signature_is_refused(two_years):  # noqa: F811
    """The issuer is printed only in the signature block (kept together with the date)."""
    result = evaluate(scope=operator_scope(), year=2026, today=TODAY)
    documents = evaluation_documents(result, issuer=f"重庆市北碚{MISSING}区民政局")
    with pytest.raises(DomainError) as refused:
        documents.pdf(now=NOW)
    assert refused.value.message == REFUSAL


def test_a_missing_character_in_a_ledger_book_cell_is_refused(period):  # noqa: F811
    """A 备注 is printed in the book's table only."""
    row = LedgerRow.objects.filter(period=period).first()
    LedgerRow.objects.filter(pk=row.pk).update(remarks=f"租用{MISSING}记商铺")
    book = ledger_workbook(scope=operator_scope(), period=period, street=None)
    with pytest.raises(DomainError) as refused:
        write_pdf(book, author="重庆市北碚区民政局", now=NOW)
    assert refused.value.message == REFUSAL


# Everywhere a story can hold a text (`paragraph` makes a Paragraph of a text).
PLACES = {
    "a paragraph": lambda text, paragraph: paragraph(text),
    "a table's text cell": lambda text, paragraph: Table([["序号", text]]),
    "a table's paragraph cell": lambda text, paragraph: Table([[paragraph(text)]]),
    "flowables in a cell": lambda text, paragraph: Table([[[Spacer(1, 1), paragraph(text)]]]),
    "a table in a table": lambda text, paragraph: Table([[Table([["", text]])]]),
    "KeepTogether": lambda text, paragraph: KeepTogether([Spacer(1, 1), paragraph(text)]),
    "KeepInFrame": lambda text, paragraph: KeepInFrame(100, 100, [paragraph(text)]),
    "a list's item": lambda text, paragraph: ListFlowable(
        [ListItem(paragraph(text)), paragraph("二")]
    ),
}


@pytest.mark.parametrize("place", PLACES)
def test_the_story_check_reaches_every_text(place):
    register_fonts()  # before any Paragraph
    style = ParagraphStyle("cell", fontName=SONG)

    def story(text: str) -> list:
        return [Spacer(1, 1), PLACES[place](text, lambda t: Paragraph(t, style))]

    require_story_glyphs(story("社区"))  # no refusal
    with pytest.raises(DomainError) as refused:
        require_story_glyphs(story(f"社区{MISSING}"))
    assert refused.value.message == REFUSAL


def _in_gb2312(character: str) -> bool:
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def test_the_downloads_are_scoped_like_the_other_exports(
    client,
    period,  # noqa: F811
    district_viewer,
    tiansheng_editor,
):
    client.login(username=tiansheng_editor.username, password=PASSWORD)
    own = client.get(f"/ledger/{period.code}/export.pdf?street={TIANSHENG}")
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    text = "\n".join(text_of(PdfReader(io.BytesIO(own.content))))
    assert "天生街道" in text and "澄江镇" not in text
    assert client.get(f"/ledger/{period.code}/export.pdf?street={CHENGJIANG}").status_code == 404
    assert client.get("/evaluation/report.pdf?year=2026").status_code == 403
    client.logout()
    assert client.get(f"/ledger/{period.code}/export.pdf").url.startswith("/accounts/login/")
    assert client.get("/evaluation/report.pdf").url.startswith("/accounts/login/")
    client.login(username=district_viewer.username, password=PASSWORD)
    district = client.get(f"/ledger/{period.code}/export.pdf")
    assert district.status_code == 200 and district.content.startswith(b"%PDF")


def test_the_pages_offer_the_pdfs(client, two_years, district_viewer):  # noqa: F811
    client.login(username=district_viewer.username, password=PASSWORD)
    page = client.get("/evaluation/?year=2026").content.decode()
    assert "/evaluation/report.pdf?year=2026" in page
    ledger = client.get(f"/ledger/?period={two_years.code}").content.decode()
    assert f"/ledger/{two_years.code}/export.pdf" in ledger
    response = client.get("/evaluation/report.pdf?year=2026")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
