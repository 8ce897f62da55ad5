"""`shequ backup --to-dir DIR [--keep N]`: scheduled backups named by their time, only the
newest N of the command's own files kept, then the operator's copy command run with the
new file's path (SHEQU_BACKUP_COPY_COMMAND, no shell)."""

import io
import json
import os
import stat
import sys
import tarfile
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.core.backup import archive
from shequ.core.backup.folder import free_name

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("beibei")]

# Copies its one argument into the folder named by COPY_TO, as rsync or scp would.
COPY_SCRIPT = """\
import os, shutil, sys
assert len(sys.argv) == 2, sys.argv
shutil.copy(sys.argv[1], os.environ["COPY_TO"])
"""


def backup_to(folder: Path, *options: str) -> dict:
    out = io.StringIO()
    call_command(
        "backup", "--to-dir", str(folder), *options, "--json", stdout=out, stderr=io.StringIO()
    )
    return json.loads(out.getvalue())


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def old_backup(folder: Path, stamp: str) -> str:
    name = f"shequ-{stamp}.tar.gz"
    (folder / name).write_bytes(b"an old backup")
    return name


@pytest.fixture
def copy_command(settings, tmp_path, monkeypatch) -> Path:
    """A copy command that puts the backup into `offsite/`; returns that folder."""
    script = tmp_path / "copy off.py"
    script.write_text(COPY_SCRIPT)
    offsite = tmp_path / "offsite"
    offsite.mkdir()
    monkeypatch.setenv("COPY_TO", str(offsite))
    settings.SHEQU_BACKUP_COPY_COMMAND = f"{sys.executable} '{script}'"
    return offsite


def test_a_backup_goes_into_a_new_folder_made_0750_named_by_its_time(tmp_path):
    folder = tmp_path / "backups" / "shequ"

    document = backup_to(folder)

    path = Path(document["file"])
    assert path.parent == folder and tarfile.is_tarfile(path)
    assert path.name.startswith("shequ-") and path.name.endswith(".tar.gz")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert document["ok"] is True and document["keep"] == 14
    assert document["pruned"] == [] and document["copy"] is None
    assert document["tables"]["regions_region"]["rows"] > 0
    with tarfile.open(path) as tar:
        assert tar.getnames()[-1] == "manifest.json"


def test_two_backups_in_one_second_get_two_names(tmp_path):
    now = datetime(2026, 11, 26, 1, 30, 0)
    first = free_name(tmp_path, now)
    first.write_bytes(b"")

    second = free_name(tmp_path, now)

    assert (first.name, second.name) == (
        "shequ-20261126-013000.tar.gz",
        "shequ-20261126-013000-2.tar.gz",
    )


def test_only_the_newest_of_its_own_backups_are_kept_and_nothing_else_is_touched(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    mine = [old_backup(folder, stamp) for stamp in ("20240101-013000", "20240102-013000")]
    mine += [old_backup(folder, "20240103-013000"), old_backup(folder, "20240103-013000-2")]
    foreign = {
        "shequ-2024-01-01.tar.gz": b"made by the old cron line",
        "shequ-20240101-013000.tar.gz.sha256": b"checksum",
        "notes.txt": b"the operator's",
        "pg_dump-20240101.sql": b"the DBA's",
    }
    for name, data in foreign.items():
        (folder / name).write_bytes(data)
    (folder / "shequ-20230101-000000.tar.gz").symlink_to(folder / "notes.txt")
    (folder / "shequ-20230102-000000.tar.gz").mkdir()

    document = backup_to(folder, "--keep", "3")

    new = Path(document["file"]).name
    assert [Path(p).name for p in document["pruned"]] == mine[:2]
    assert names(folder) == {
        *mine[2:],
        new,
        *foreign,
        "shequ-20230101-000000.tar.gz",
        "shequ-20230102-000000.tar.gz",
    }
    assert all((folder / name).read_bytes() == data for name, data in foreign.items())


def test_pre_upgrade_backups_are_kept_apart_with_their_own_count(tmp_path):
    daily = tmp_path / "shequ"
    daily.mkdir()
    dailies = {old_backup(daily, f"2024010{day}-013000") for day in range(1, 8)}
    upgrades = daily / "pre-upgrade"

    for _ in range(2):
        backup_to(upgrades, "--keep", "1")

    assert names(daily) == dailies | {"pre-upgrade"}
    assert len(names(upgrades)) == 1


def test_the_copy_command_gets_the_new_file_in_a_folder_with_spaces(tmp_path, copy_command):
    folder = tmp_path / "每日 备份 $(touch pwned); x"

    document = backup_to(folder)

    path = Path(document["file"])
    assert document["ok"] is True
    assert document["copy"]["ok"] is True and document["copy"]["returncode"] == 0
    assert document["copy"]["command"][-1] == str(path)
    assert (copy_command / path.name).read_bytes() == path.read_bytes()
    assert not (Path.cwd() / "pwned").exists() and not (folder / "pwned").exists()


def test_a_failed_copy_is_reported_and_the_backup_stays(tmp_path, settings):
    settings.SHEQU_BACKUP_COPY_COMMAND = f"{sys.executable} -c 'import sys; sys.exit(7)'"
    out = io.StringIO()

    with pytest.raises(
        CommandError, match="已生成，但复制到其他机器失败（复制命令退出码 7）"
    ) as failed:
        call_command(
            "backup", "--to-dir", str(tmp_path), "--json", stdout=out, stderr=io.StringIO()
        )

    assert failed.value.returncode == 3
    document = json.loads(out.getvalue())
    assert document["ok"] is False and document["copy"]["returncode"] == 7
    assert Path(document["file"]).is_file()


def test_a_copy_command_that_does_not_exist_is_reported(tmp_path, settings):
    settings.SHEQU_BACKUP_COPY_COMMAND = str(tmp_path / "no-such-command")

    with pytest.raises(CommandError, match="复制命令无法执行：文件或目录不存在") as failed:
        call_command(
            "backup", "--to-dir", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO()
        )

    assert failed.value.returncode == 3
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("shequ-")]) == 1


def test_a_folder_that_cannot_be_made_is_refused_with_a_message(tmp_path):
    (tmp_path / "a-file").write_text("")

    with pytest.raises(CommandError, match=r"无法创建备份目录 .*a-file 已存在，但不是目录"):
        backup_to(tmp_path / "a-file" / "backups")


def test_a_folder_that_cannot_be_written_is_refused_with_a_message(tmp_path, monkeypatch):
    """As root the mode bits do not stop a write; the refusal the kernel gives another
    user is simulated where the backup file is created."""

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(archive.tempfile, "mkstemp", refused)

    with pytest.raises(CommandError, match=r"备份失败，未生成备份文件 .*：权限不足"):
        backup_to(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder")
def test_a_read_only_folder_is_refused_with_a_message(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o500)

    with pytest.raises(CommandError, match="不可写：权限不足"):
        backup_to(folder)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--to-dir", "x", "--keep", "0"], "--keep 至少为 1"),
        (["-o", "x.tar.gz", "--keep", "3"], "--keep 只能与 --to-dir 同用"),
        (["-o", "x.tar.gz", "--to-dir", "x"], "不能与 -o/--output 同时使用"),
    ],
)
def test_options_that_do_not_go_together_are_refused(tmp_path, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("backup", *options, stdout=io.StringIO(), stderr=io.StringIO())
    assert not (Path.cwd() / "x").exists()
