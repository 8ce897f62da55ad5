"""The import verb's workbook, read by a second process while Django starts (early_read)."""

import os
import signal
import time

import pytest
from django.core.management import load_command_class

from shequ.ledger.importing import early_read, files
from shequ.ledger.importing.files import (
    COMMAND_LINE_LIMITS,
    MB,
    FileRefused,
    SizeLimits,
    read_sheets,
)

from .import_fixtures import messy_chengjiang, xlsx


@pytest.fixture
def two_processors(monkeypatch):
    """The early read only forks where a second processor can run it: hold that true here
    whatever machine runs the tests."""
    monkeypatch.setattr(early_read, "_processors", lambda: 2)
    yield
    early_read._reading.clear()


def command_line(path, *options) -> list[str]:
    return ["shequ", "import-ledger", str(path), "--period", "2026H2", *options]


@pytest.mark.parametrize(
    "arguments",
    [
        ["a.xlsx", "--period", "2026H2"],
        ["--period", "2026H2", "a.xlsx", "--json"],
        ["--street", "澄江镇", "--as", "cj-editor", "-v", "2", "a.xlsx", "--period", "2026H2"],
        ["--period=2026H2", "--approve", "--reason", "补录 2021 年台账", "a.xlsx"],
        ["--period", "2026H2", "--", "-a.xlsx"],
    ],
)
def test_the_workbook_is_the_file_the_verbs_own_parser_finds(arguments):
    parser = load_command_class("shequ", "import-ledger").create_parser("shequ", "import-ledger")
    expected = parser.parse_args(arguments).file
    assert early_read.workbook_argument(["shequ", "import-ledger", *arguments]) == expected


@pytest.mark.parametrize(
    "argv",
    [["shequ", "export-ledger", "--period", "2026H2"], ["shequ", "import-ledger"], ["shequ"]],
)
def test_no_other_command_line_names_a_workbook(argv):
    assert early_read.workbook_argument(argv) is None


def test_a_workbook_read_early_is_the_workbook_the_verb_would_read(two_processors, tmp_path):
    path = tmp_path / "澄江镇.xlsx"
    path.write_bytes(messy_chengjiang())
    early_read.start_reading(command_line(path, "--json"))
    assert str(path) in early_read._reading  # a child is reading it
    sheets = early_read.take_sheets(str(path))
    assert sheets == read_sheets(path.read_bytes(), path.name, COMMAND_LINE_LIMITS)
    assert early_read.take_sheets(str(path)) is None  # taken once; then the verb reads


def test_a_file_the_child_refuses_is_refused_for_the_same_reason(two_processors, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(FileRefused) as direct:
        read_sheets(path.read_bytes(), path.name, COMMAND_LINE_LIMITS)
    early_read.start_reading(command_line(path))
    with pytest.raises(FileRefused) as early:
        early_read.take_sheets(str(path))
    assert str(early.value) == str(direct.value) == "文件已损坏，无法打开"


def test_when_the_child_dies_the_verb_reads_the_file_itself(two_processors, monkeypatch, tmp_path):
    path = tmp_path / "澄江镇.xlsx"
    path.write_bytes(xlsx({"台账": [["街镇", "社区名称", "户数"], ["澄江镇", "运河社区", 1000]]}))
    # The child, a copy of this process, would wait here until it is killed.
    monkeypatch.setattr(early_read, "_outcome", lambda path: time.sleep(60))
    early_read.start_reading(command_line(path))
    pid, _ = early_read._reading[str(path)]
    os.kill(pid, signal.SIGKILL)
    assert early_read.take_sheets(str(path)) is None


def test_nothing_is_read_early_without_a_second_processor(monkeypatch, tmp_path):
    path = tmp_path / "澄江镇.xlsx"
    path.write_bytes(messy_chengjiang())
    monkeypatch.setattr(early_read, "_processors", lambda: 1)
    early_read.start_reading(command_line(path))
    assert early_read._reading == {}


def test_a_file_larger_than_an_upload_or_not_a_file_is_left_to_the_verb(
    two_processors, monkeypatch, tmp_path
):
    path = tmp_path / "全市.xlsx"
    path.write_bytes(messy_chengjiang())
    smaller = SizeLimits(file_bytes=path.stat().st_size - 1, inflated_bytes=MB)
    monkeypatch.setattr(files, "UPLOAD_LIMITS", smaller)
    for named in (path, tmp_path, tmp_path / "没有这个文件.xlsx"):
        early_read.start_reading(command_line(named))
    assert early_read._reading == {}
