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
