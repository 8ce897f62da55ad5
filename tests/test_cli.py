"""The `shequ` console script and the verbs of this issue, from the outside."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_the_console_script_is_the_projects_manage_py(tmp_path):
    env = {**os.environ, "SHEQU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = Path(sys.executable).with_name("shequ")
    result = subprocess.run(
        [str(script), "help", "load-regions"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "导入统计用区划代码文件" in result.stdout
    assert (tmp_path / "secret_key").exists()


def test_as_an_unknown_user_is_refused(beibei):
    with pytest.raises(CommandError, match="用户“ghost”不存在或已停用"):
        call_command("load-regions", "beibei_divisions.csv", "--as", "ghost")


def test_loading_regions_needs_an_admin_when_acting_as_someone(tiansheng_editor):
    with pytest.raises(CommandError, match="只有管理员可以导入区划"):
        call_command("load-regions", "beibei_divisions.csv", "--as", "tiansheng-editor")


def test_a_refused_file_under_json_prints_its_problems_as_one_document(beibei, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,level,parent_code,urban_rural_code,source_year\n"
        "500109001999,无主社区,village,500109077,111,2023\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("load-regions", str(bad), "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["changed"] is False
    assert document["problems"][0]["where"] == "bad.csv 第2行"
    assert "500109077" in document["problems"][0]["message"]


def run_shequ(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """`shequ ARGS…` as its own process, on a SQLite database under tmp_path."""
    env = {**os.environ, "SHEQU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    shequ = str(Path(sys.executable).with_name("shequ"))
    return subprocess.run([shequ, *args], capture_output=True, env=env, check=False, timeout=120)


def test_the_import_preview_on_the_process_stdout_is_one_utf8_json_document(tmp_path):
    """On its own stdout the command writes the encoded document straight out (not through
    the text layer that call_command's tests read): it must still be one JSON document."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_shequ(tmp_path, *args)

    for setup in (
        ["migrate", "-v0"],
        ["load-regions", "beibei_divisions.csv"],
        ["open-period", "2026H2", "--deadline", "2099-12-31"],
    ):
        assert run(*setup).returncode == 0
    ledger = tmp_path / "澄江镇.csv"
    ledger.write_text(
        "街镇,社区名称,户数,便民服务中心\n澄江镇,运河社区,1000,320\n", encoding="utf-8"
    )
    result = run("import-ledger", str(ledger), "--period", "2026H2", "--json")
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout.decode("utf-8"))
    assert result.stdout.endswith(b"}\n")
    assert document["rows"][0]["community_name"] == "运河社区居民委员会"
    assert document["rows"][0]["data"]["service_center"] == 320.0
    assert document["rows"][0]["derived"]["per_100_households"] == 32.0
    # A file refused is refused with its reason, in the JSON document.
    broken = tmp_path / "澄江镇.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = run("import-ledger", str(broken), "--period", "2026H2", "--json")
    assert result.returncode == 2, result.stderr.decode()
    document = json.loads(result.stdout.decode("utf-8"))
    assert document["rows"] == []
    assert document["errors"][0]["message"] == "文件已损坏，无法打开"


def test_the_process_ends_as_python_ends_it(tmp_path):
    """An atexit handler registered by code a verb runs is called, and what a verb printed
    is flushed (no verb ends the process from under the interpreter)."""
    marker = tmp_path / "ran"
    code = f"import atexit, pathlib; atexit.register(pathlib.Path({str(marker)!r}).touch)"
    result = run_shequ(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr.decode()
    assert marker.exists()
    # The project's own verbs end their process at once, but only after the atexit
    # handlers ran and the streams were flushed (shequ.management.ending).
    marker.unlink()
    verb = f"{code}; from shequ.cli import main; main(['shequ', 'import-ledger', '--help'])"
    env = {**os.environ, "SHEQU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", verb], capture_output=True, env=env, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert marker.exists()
    assert "--period" in result.stdout.decode()  # the help, flushed before the end


def test_a_reader_that_goes_away_ends_the_verb_without_a_traceback(tmp_path):
    """`shequ … | head`: the pipe closes before the verb has written; it stops quietly."""
    env = {**os.environ, "SHEQU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    shequ = str(Path(sys.executable).with_name("shequ"))
    process = subprocess.Popen(
        [shequ, "help", "--commands"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    process.stdout.close()  # the reader is gone before the first line
    _, errors = process.communicate(timeout=120)
    assert process.returncode in (0, 1)
    assert b"Traceback" not in errors and b"Exception ignored" not in errors, errors.decode()
