"""The chain head published (ADR 0039): under every exported approved ledger, in the
evaluation report; and the chain key, kept outside the database and every backup."""

import csv
import io
import json
import os
import stat
import tarfile

import docx
import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from shequ.accounts.scope import operator_scope
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.ledger.book_pdf import write_pdf
from shequ.ledger.fingerprint import chain_head
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.models import Submission
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.workflow.ledger_files import ledger_workbook, plan_import, write_csv

from .conftest import CHENGJIANG, TIANSHENG, region
from .ledger_helpers import approve_street, fill_street, open_period, set_target
from .test_settings import refusal, settings_with

HEAD_LINE = "台帐指纹链头："


@pytest.fixture
def approved(beibei):
    period = open_period("2024H1")
    approve_street(period, TIANSHENG)
    approve_street(period, CHENGJIANG)
    return period


def workbook_text(period, street=None) -> list[str]:
    buffer = io.BytesIO()
    write_xlsx(ledger_workbook(scope=operator_scope(), period=period, street=street), buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    return [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def csv_text(period, street=None) -> str:
    stream = io.StringIO()
    write_csv(scope=operator_scope(), period=period, street=street, stream=stream)
    return stream.getvalue()


def test_an_approved_street_book_prints_the_current_head(approved):
    head = chain_head()
    lines = [t for t in workbook_text(approved, region(TIANSHENG)) if HEAD_LINE in t]
    assert lines == [head.line]
    assert head.fingerprint in lines[0] and "（第2环，" in lines[0]
    assert "shequ verify-ledger --head" in lines[0]


def test_an_unapproved_book_prints_no_head(approved):
    second = open_period("2024H2")
    fill_street(second, TIANSHENG)
    assert not [t for t in workbook_text(second, region(TIANSHENG)) if HEAD_LINE in t]
    assert HEAD_LINE not in csv_text(second, region(TIANSHENG))
    # The district's book of 2024H1: two streets approved, sixteen not.
    assert not [t for t in workbook_text(approved) if HEAD_LINE in t]


def test_an_approved_csv_ends_with_the_head_as_a_note_the_import_skips(approved):
    text = csv_text(approved, region(TIANSHENG))
    last = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[-1]
    assert last == [f"说明：{chain_head().line}"]
    plan = plan_import(
        scope=operator_scope(),
        period=approved,
        sheets=read_sheets(text.encode(), "ledger.csv"),
        filename="ledger.csv",
    )
    communities = region(TIANSHENG).children.count()
    assert len(plan.rows) == communities
    last_line = communities + 2  # the header, the rows, the head
    assert [s.reason for s in plan.sheets[0].skipped if s.row == last_line] == ["说明"]
    assert not [p for p in plan.errors.listed + plan.warnings.listed if p.row == last_line]


def test_the_district_book_prints_the_head_once_every_street_is_approved(approved):
    Submission.objects.filter(period=approved).update(state=Submission.State.APPROVED)
    # Under the notes of each sheet (城市社区, 农村社区).
    assert [t for t in workbook_text(approved) if HEAD_LINE in t] == [chain_head().line] * 2
    assert csv_text(approved).rstrip().endswith(chain_head().line)


def test_the_evaluation_report_ends_with_the_head(approved):
    set_target(2024)
    result = evaluate(scope=operator_scope(), year=2024)
    document = docx.Document(io.BytesIO(evaluation_documents(result).docx()))
    assert document.paragraphs[-1].text == chain_head().line
    assert document.paragraphs[-1].runs[0].font.size.pt == 9


def test_a_report_before_any_seal_has_no_head_line(beibei):
    set_target(2024)
    open_period("2024H1")
    result = evaluate(scope=operator_scope(), year=2024)
    document = docx.Document(io.BytesIO(evaluation_documents(result).docx()))
    assert not [p for p in document.paragraphs if HEAD_LINE in p.text]


# ---------------------------------------------------------------------------- the key


def test_the_key_is_generated_once_under_var_readable_by_the_owner_only(tmp_path):
    probe = {"DJANGO_SETTINGS_MODULE": "shequ.settings"}
    settings_with(probe, tmp_path)
    key_file = tmp_path / "chain_key"
    key = key_file.read_text()
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    settings_with(probe, tmp_path)
    assert key_file.read_text() == key


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHEQU_CHAIN_KEY": "short"}, "环境变量 SHEQU_CHAIN_KEY 太短：至少 32 个字符"),
        ({"MEDIA_ROOT": "{var}"}, "在媒体目录"),
    ],
)
def test_a_key_too_short_or_inside_the_backed_up_media_is_refused(tmp_path, env, message):
    env = {name: value.format(var=tmp_path) for name, value in env.items()}
    assert message in refusal(env, tmp_path)


@pytest.mark.django_db(transaction=True)
def test_the_key_is_in_no_backup(approved, tmp_path):
    call_command("backup", "-o", str(tmp_path / "b.tar.gz"), stdout=io.StringIO())
    key = settings.SHEQU_CHAIN_KEY.encode()
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        for member in tar.getmembers():
            assert "chain_key" not in member.name
            if member.isfile():
                assert key not in tar.extractfile(member).read(), member.name
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert "ledger_chainhead" in manifest["tables"]  # the head is data, backed up


def _pdf_text(data: bytes) -> str:
    """The PDF's text without the line breaks its layout put in."""
    pages = PdfReader(io.BytesIO(data)).pages
    return "".join((page.extract_text() or "") for page in pages).replace("\n", "")


def test_the_pdf_report_and_the_pdf_book_print_the_head(approved):
    set_target(2024)
    result = evaluate(scope=operator_scope(), year=2024)
    head = chain_head().line
    assert _pdf_text(evaluation_documents(result).pdf()).endswith(head)
    Submission.objects.filter(period=approved).update(state=Submission.State.APPROVED)
    book = ledger_workbook(scope=operator_scope(), period=approved, street=None)
    assert head in _pdf_text(write_pdf(book, author="重庆市北碚区民政局", now=timezone.now()))
