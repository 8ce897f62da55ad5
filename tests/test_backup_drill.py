"""`shequ restore-drill`: a backup restored into a database of the drill's own and checked,
while the configured database and media folder stay exactly as they were.

Runs on SQLite (a temporary file) and, in the PostgreSQL pass, on a database the drill
creates on the same server and drops afterwards."""

import io
import json
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.core.backup import drill

from .test_backup import (
    backup,
    checksums,
    damage_a_file,
    damage_a_table,
    rewrite_manifest,
    system,  # noqa: F401  (a fixture, used by name below)
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("system")]


@pytest.fixture
def temporary(monkeypatch, tmp_path) -> Path:
    """The folder the drill's temporary files go to, to see that it leaves none."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def drill_databases() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'shequ_drill_%%'")
        return {name for (name,) in cursor.fetchall()}


def run_drill(path: Path, *options: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("restore-drill", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_drill_restores_a_backup_into_its_own_database_and_checks_it(tmp_path, temporary):
    backup(tmp_path / "shequ.tar.gz")
    before = checksums()
    databases = drill_databases()

    with CaptureQueriesContext(connection) as on_configured:
        out, err = run_drill(tmp_path / "shequ.tar.gz", "--json")

    document = json.loads(out)
    assert document["ok"] is True and document["error"] is None
    assert document["restored"] is True and document["cleaned_up"] is True
    assert document["table_count"] == len(before[0]) == len(document["tables"])
    assert document["row_count"] == sum(t.rows for t in before[0].values())
    assert document["file_count"] == 2  # the files rows name; not the pending upload
    assert all(t["ok"] for t in document["tables"].values())
    assert all(f["ok"] for f in document["files"].values())
    assert document["drill_database"] != connection.settings_dict["NAME"]
    assert len(on_configured) == 0
    assert checksums() == before
    assert drill_databases() == databases
    assert list(temporary.iterdir()) == []
    assert "--force" not in out + err


def test_the_drill_prints_what_it_checked_in_chinese(tmp_path, temporary):
    backup(tmp_path / "shequ.tar.gz")

    out, _ = run_drill(tmp_path / "shequ.tar.gz")

    assert "表 ledger_ledgerrow：" in out and "一致" in out
    assert "演练后已删除" in out
    assert out.strip().splitlines()[-1].startswith("恢复演练通过：")


def test_the_drill_refuses_to_restore_into_the_configured_database(
    tmp_path, temporary, monkeypatch
):
    backup(tmp_path / "shequ.tar.gz")
    configured = connection.settings_dict["NAME"]
    monkeypatch.setattr(drill, "drill_name", lambda vendor, work: str(configured))
    before = checksums()

    with pytest.raises(CommandError, match="就是系统正在使用的数据库") as refused:
        run_drill(tmp_path / "shequ.tar.gz")

    assert "--force" not in str(refused.value)
    assert checksums() == before
    assert list(temporary.iterdir()) == []


def test_a_query_on_the_configured_database_during_the_drill_is_refused(
    tmp_path, temporary, monkeypatch
):
    """Whatever runs inside the drill (a migration, a signal) cannot reach the configured
    database: its connection refuses every query until the drill is over."""
    backup(tmp_path / "shequ.tar.gz")
    databases = drill_databases()
    restore = drill.backup_restore

    def restore_then_stray(**kwargs):
        report = restore(**kwargs)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent")
        return report

    monkeypatch.setattr(drill, "backup_restore", restore_then_stray)
    before = checksums()

    with pytest.raises(CommandError, match="不得访问系统正在使用的数据库"):
        run_drill(tmp_path / "shequ.tar.gz")

    assert checksums() == before
    assert drill_databases() == databases
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("damage", [damage_a_table, damage_a_file])
def test_a_drill_that_finds_a_difference_fails_and_still_removes_its_database(
    tmp_path, temporary, damage
):
    backup(tmp_path / "shequ.tar.gz")
    damaged = rewrite_manifest(tmp_path / "shequ.tar.gz", damage)
    databases = drill_databases()
    before = checksums()
    out = io.StringIO()

    with pytest.raises(CommandError, match="恢复演练未通过") as failed:
        call_command("restore-drill", str(damaged), "--json", stdout=out, stderr=io.StringIO())

    document = json.loads(out.getvalue())
    assert document["ok"] is False and document["cleaned_up"] is True
    assert "不符" in document["error"]
    assert "--force" not in str(failed.value) + out.getvalue()
    assert drill_databases() == databases
    assert list(temporary.iterdir()) == []
    assert checksums() == before


def test_an_unreadable_backup_fails_the_drill_with_a_message(tmp_path, temporary):
    (tmp_path / "junk.tar.gz").write_bytes(b"not a backup")

    with pytest.raises(CommandError, match="恢复演练未通过：无法读取备份文件"):
        run_drill(tmp_path / "junk.tar.gz")

    assert list(temporary.iterdir()) == []
