"""`shequ backup` and `shequ restore`: a backup of a running system comes back whole.

Each test backs up, wipes (flush + delete the media folder) and restores, then compares
the checksum of every table and every media file with the ones taken before the backup.
Runs on SQLite, and on PostgreSQL in the PostgreSQL pass of CI.
"""

import errno
import io
import json
import shutil
import tarfile
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shequ.accounts.scope import operator_scope
from shequ.checklist.models import ChecklistEntry
from shequ.core.backup.checksums import database_sums, media_sums
from shequ.core.models import AuditEvent
from shequ.ledger.models import LedgerRow
from shequ.ledger.rows import row_update
from shequ.plans.models import Plan

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import approve_street, open_period, street_rows
from .test_backup_archive import python_3_11_2_tarfile  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n% \xe4\xbd\x90\xe8\xaf\x81\n%%EOF\n"


@pytest.fixture
def system(beibei, district_admin, tiansheng_editor):
    """A district in use: one period with two streets approved (so plans exist), a plan
    with its evidence, a checklist photo, and an import upload nobody refers to (which no
    backup holds: ADR 0040)."""
    period = open_period("2024H1")
    approve_street(period, TIANSHENG)
    approve_street(period, CHENGJIANG)
    plan = Plan.objects.order_by("pk").first()
    plan.evidence.save("销号佐证.pdf", ContentFile(PDF))
    entry = ChecklistEntry.objects.create(community=region(XINXINGLU), item="hall", present=True)
    entry.photo.save("大厅.png", ContentFile(PNG))
    uploads = Path(settings.MEDIA_ROOT) / "imports"
    uploads.mkdir(parents=True)
    (uploads / "待导入.csv").write_bytes("街镇,社区\n".encode())
    return period


def checksums() -> tuple[dict, dict]:
    with connection.cursor() as cursor:
        tables = database_sums(cursor, connection.vendor)
    return tables, media_sums(Path(settings.MEDIA_ROOT))


def named(files: dict) -> dict:
    """The media files a row names: what a backup holds and a restore brings back."""
    return {name: sha for name, sha in files.items() if not name.startswith("imports/")}


def backup(path: Path) -> dict:
    out = io.StringIO()
    call_command("backup", "-o", str(path), "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def restore(path: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)


def test_a_wiped_system_comes_back_with_every_table_and_file_unchanged(system, tmp_path):
    tables, files = checksums()
    document = backup(tmp_path / "shequ.tar.gz")
    wipe()
    assert checksums() != (tables, files)

    output = restore(tmp_path / "shequ.tar.gz")

    assert checksums() == (tables, named(files))
    assert {name: t["sha256"] for name, t in document["tables"].items()} == {
        name: t.sha256 for name, t in tables.items()
    }
    assert document["files"] == named(files)
    assert len(files) == 3 and len(named(files)) == 2 and LedgerRow.objects.count() > 0
    assert f"已恢复并核对 {len(tables)} 张表" in output
    assert "2 个文件：校验和全部与备份一致" in output


@pytest.mark.usefixtures("python_3_11_2_tarfile")
def test_a_backup_restores_on_debian_12s_python_without_tar_filters(system, tmp_path):
    tables, files = checksums()
    backup(tmp_path / "shequ.tar.gz")
    wipe()

    output = restore(tmp_path / "shequ.tar.gz")

    assert checksums() == (tables, named(files))
    assert "校验和全部与备份一致" in output


def test_a_restored_system_hands_out_new_ids_after_the_old_ones(system, tmp_path):
    last = AuditEvent.objects.order_by("pk").last()
    backup(tmp_path / "shequ.tar.gz")
    wipe()
    restore(tmp_path / "shequ.tar.gz")

    AuditEvent.objects.create(actor="命令行", action="test.after_restore", summary="恢复后")

    assert AuditEvent.objects.order_by("pk").last().pk > last.pk


def test_the_manifest_lists_versions_migrations_and_the_files_rows_refer_to(system, tmp_path):
    document = backup(tmp_path / "shequ.tar.gz")

    assert document["format_version"] == 1
    assert document["vendor"] == connection.vendor
    assert "0001_initial" in document["migrations"]["ledger"]
    assert document["tables"]["ledger_ledgerrow"]["rows"] == LedgerRow.objects.count()
    evidence = Plan.objects.exclude(evidence="").get().evidence.name
    photo = ChecklistEntry.objects.exclude(photo="").get().photo.name
    assert sorted(document["referenced"]) == sorted([evidence, photo])
    with tarfile.open(tmp_path / "shequ.tar.gz") as tar:
        names = tar.getnames()
    assert names[-1] == "manifest.json"
    # An upload no row names (waiting for its confirmation, or refused) is no data.
    assert "media/imports/待导入.csv" not in names
    assert sorted(n for n in names if n.startswith("media/")) == sorted(
        f"media/{name}" for name in (evidence, photo)
    )


def test_a_file_lost_before_the_backup_is_listed_and_the_rest_is_kept(system, tmp_path):
    photo = ChecklistEntry.objects.exclude(photo="").get().photo
    Path(photo.path).unlink()
    err = io.StringIO()

    out = io.StringIO()
    call_command("backup", "-o", str(tmp_path / "shequ.tar.gz"), "--json", stdout=out, stderr=err)

    document = json.loads(out.getvalue())
    assert document["missing"] == [photo.name]
    assert len(document["files"]) == 1
    assert "1 个文件在磁盘上不存在" in err.getvalue()


def test_restore_refuses_a_database_with_data_unless_forced(system, tmp_path):
    backup(tmp_path / "shequ.tar.gz")
    AuditEvent.objects.all().delete()
    tables, files = checksums()

    with pytest.raises(CommandError, match=r"已有数据.*--force"):
        restore(tmp_path / "shequ.tar.gz")
    assert checksums() == (tables, files)

    document = json.loads(restore(tmp_path / "shequ.tar.gz", "--force", "--json"))
    assert AuditEvent.objects.exists()
    assert document["ok"] is True
    assert document["tables"]["core_auditevent"]["ok"] is True
    assert all(file["ok"] for file in document["files"].values())


def damage_a_table(manifest: dict) -> None:
    manifest["tables"]["ledger_ledgerrow"]["sha256"] = "0" * 64


def damage_a_file(manifest: dict) -> None:
    name = next(iter(manifest["files"]))
    manifest["files"][name] = "0" * 64


@pytest.mark.parametrize(
    ("damage", "message"),
    [(damage_a_table, "校验和不符"), (damage_a_file, "个文件与清单不符")],
)
def test_a_damaged_backup_leaves_database_and_files_as_they_were(system, tmp_path, damage, message):
    backup(tmp_path / "shequ.tar.gz")
    damaged = rewrite_manifest(tmp_path / "shequ.tar.gz", damage)
    AuditEvent.objects.all().delete()
    before = checksums()

    with pytest.raises(CommandError, match=message):
        restore(damaged, "--force")

    assert checksums() == before


def test_a_cut_off_backup_is_refused_before_anything_is_touched(system, tmp_path):
    backup(tmp_path / "shequ.tar.gz")
    whole = (tmp_path / "shequ.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    before = checksums()

    with pytest.raises(CommandError, match="无法读取备份文件"):
        restore(tmp_path / "cut.tar.gz", "--force")

    assert checksums() == before


def test_a_backup_of_another_database_kind_is_refused(system, tmp_path):
    backup(tmp_path / "shequ.tar.gz")
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    moved = rewrite_manifest(tmp_path / "shequ.tar.gz", lambda m: m.update(vendor=other))
    wipe()

    with pytest.raises(CommandError, match="不支持跨数据库恢复"):
        restore(moved)


def test_a_backup_from_another_program_version_is_refused(system, tmp_path):
    backup(tmp_path / "shequ.tar.gz")
    newer = rewrite_manifest(
        tmp_path / "shequ.tar.gz", lambda m: m["migrations"]["ledger"].append("9999_future")
    )
    wipe()

    with pytest.raises(CommandError, match="迁移不一致"):
        restore(newer)


def test_the_backup_file_appears_only_when_complete(system, tmp_path, monkeypatch):
    from shequ.core.backup import archive

    def broken(self, root, names):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive.ArchiveWriter, "add_media", broken)
    folder = tmp_path / "backups"
    folder.mkdir()
    with pytest.raises(CommandError, match=r"备份失败，未生成备份文件 .*：磁盘空间不足"):
        backup(folder / "shequ.tar.gz")
    assert list(folder.iterdir()) == []


def test_a_backup_taken_while_editors_save_is_consistent(system, tmp_path):
    """An editor keeps saving one row (each save with its audit row) during the backup:
    the restored row carries exactly the value of its last audited change."""
    draft = open_period("2024H2")
    row = street_rows(draft, TIANSHENG).first()
    started, stop = threading.Event(), threading.Event()
    saves = threading.Thread(target=keep_saving, args=(row.pk, started, stop))
    saves.start()
    try:
        assert started.wait(30)
        document = backup(tmp_path / "shequ.tar.gz")
    finally:
        stop.set()
        saves.join(60)
    wipe()
    restore(tmp_path / "shequ.tar.gz")

    restored = LedgerRow.objects.get(pk=row.pk)
    saves_kept = AuditEvent.objects.filter(
        action="ledger.row_update", target_id=str(row.pk)
    ).order_by("pk")
    assert saves_kept.count() >= 1
    assert restored.version == row.version + saves_kept.count()
    assert restored.households == saves_kept.last().changes["households"][1]
    assert document["tables"]["core_auditevent"]["rows"] == AuditEvent.objects.count()


def keep_saving(pk: int, started: threading.Event, stop: threading.Event) -> None:
    try:
        households = 3000
        while not stop.is_set() and households < 3500:
            row = LedgerRow.objects.select_related("community", "period").get(pk=pk)
            households += 1
            row_update(
                scope=operator_scope(),
                row=row,
                changes={"households": households},
                expected_version=row.version,
            )
            started.set()
    finally:
        connection.close()


def rewrite_manifest(path: Path, change) -> Path:
    """A copy of the backup whose manifest `change` altered."""
    copy = path.with_name("altered.tar.gz")
    with tarfile.open(path) as source, tarfile.open(copy, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy
