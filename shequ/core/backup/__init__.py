"""Backing up and restoring the whole system: database and media files (ADR 0015).

`backup_create` takes a consistent snapshot of the database while the app runs, then the
media files, into one archive with a manifest of checksums; `backup_restore` refuses a
database that already holds data (unless forced), checks the archive, and puts database
and media back all or nothing, checking every table's and file's checksum.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from shequ.core.backup import archive, postgres, sqlite
from shequ.core.backup.checksums import TableSum, database_sums, media_sums, quote, tables_of
from shequ.core.backup.manifest import BackupError, Manifest, migrations_from_rows, os_reason
from shequ.core.backup.media import MediaSwap, referenced_files, verify_files

__all__ = ["BackupError", "Manifest", "RestoreReport", "backup_create", "backup_restore"]

VENDORS = {"sqlite": sqlite, "postgresql": postgres}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Filled by `migrate` itself: a freshly migrated database holds these and is still empty.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
# A file the app deletes after the snapshot was taken (a replaced photo) is missing from
# the media walk; the backup then starts again, this many times at most.
ATTEMPTS = 3

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _vendor(target=connection):
    try:
        return VENDORS[target.vendor]
    except KeyError:
        raise BackupError(f"不支持备份 {target.vendor} 数据库") from None


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


# --- backup -------------------------------------------------------------------------


def backup_create(*, output: Path, progress: Progress = _quiet) -> Manifest:
    output = Path(output).resolve()
    if not output.parent.is_dir():
        raise BackupError(f"目录不存在：{output.parent}")
    if output.is_relative_to(media_root().resolve()):
        raise BackupError(f"备份文件不能放在媒体目录 {media_root()} 之内")
    try:
        return _backup_attempts(output, progress)
    except OSError as error:  # the folder not writable, the disk full: no traceback
        reason = os_reason(error)
        detail = f"（{error}）" if str(error) != reason else ""
        raise BackupError(f"备份失败，未生成备份文件 {output}：{reason}{detail}") from error


def _backup_attempts(output: Path, progress: Progress) -> Manifest:
    for attempt in range(1, ATTEMPTS):
        try:
            return _warn_missing(_backup_once(output, progress, accept_missing=False), progress)
        except _MediaChanged as changed:
            progress(f"备份期间有 {changed.count} 个文件被删除，重新备份（第 {attempt} 次）")
    return _warn_missing(_backup_once(output, progress, accept_missing=True), progress)


def _warn_missing(manifest: Manifest, progress: Progress) -> Manifest:
    if manifest.missing:
        progress(
            f"注意：数据库中记录的 {len(manifest.missing)} 个文件在磁盘上不存在，未能备份："
            + "、".join(manifest.missing[:10])
        )
    return manifest


class _MediaChanged(Exception):
    def __init__(self, count: int):
        self.count = count


def _backup_once(output: Path, progress: Progress, *, accept_missing: bool) -> Manifest:
    """One attempt. A file the snapshot names may be gone from the disk when the media are
    copied (the app deletes a replaced photo once the new one is saved): the attempt is then
    given up and the backup starts again. A file still missing on the last attempt was lost
    before the backup began; the backup goes ahead and lists it, since a backup without it
    is better than none."""
    vendor = _vendor()
    writer = archive.ArchiveWriter(output)
    try:
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".shequ-backup-") as work:
            manifest = _dump_database(vendor, Path(work), writer, progress)
        progress("复制媒体文件 …")
        manifest.files = writer.add_media(media_root(), manifest.referenced)
        manifest.missing = sorted(set(manifest.referenced) - manifest.files.keys())
        if manifest.missing and not accept_missing:
            raise _MediaChanged(len(manifest.missing))
        writer.add_bytes(manifest.to_json(), "manifest.json")
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    return manifest


def _dump_database(vendor, work: Path, writer: archive.ArchiveWriter, progress) -> Manifest:
    progress(f"读取 {VENDOR_NAMES[connection.vendor]} 数据库快照 …")
    with vendor.snapshot(work) as (cursor, dump_files):
        tables = tables_of(cursor, connection.vendor)
        progress(f"计算 {len(tables)} 张表的校验和 …")
        manifest = Manifest(
            vendor=connection.vendor,
            created_at=timezone.now().isoformat(timespec="seconds"),
            migrations=_migrations(cursor),
            tables=database_sums(cursor, connection.vendor),
            columns={table.name: list(table.columns) for table in tables},
            files={},
            sequences=postgres.sequences(cursor) if connection.vendor == "postgresql" else {},
        )
        manifest.referenced = sorted(referenced_files(cursor))
    for name, path in dump_files.items():
        writer.add_file(path, name)
    return manifest


def _migrations(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations")
    return migrations_from_rows(cursor.fetchall())


# --- restore ------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: Manifest
    tables: dict[str, TableSum]  # as found in the restored database
    files: dict[str, str]  # as found in the restored media folder

    @property
    def ok(self) -> bool:
        return self.tables == self.manifest.tables and self.files == self.manifest.files


def backup_read(path: Path) -> Manifest:
    return Manifest.from_json(archive.read_manifest_bytes(Path(path)))


def backup_restore(
    *,
    path: Path,
    force: bool = False,
    progress: Progress = _quiet,
    using: str = DEFAULT_DB_ALIAS,
    media: Path | None = None,
) -> RestoreReport:
    """Restore into the database `using` (the configured one unless the restore drill
    names its own) and the media folder `media` (MEDIA_ROOT unless given)."""
    path = Path(path)
    target = connections[using]
    root = media_root() if media is None else Path(media)
    manifest = backup_read(path)
    _require_same_vendor(manifest, target)
    _require_schema(manifest, target, progress)
    if not force:
        _require_empty(target, root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".shequ-restore-") as work,
        tempfile.TemporaryDirectory(dir=root.parent, prefix=f".{root.name}.restore-") as staged,
    ):
        progress("解开备份文件 …")
        staged_media = Path(staged) / "media"
        staged_media.mkdir()
        archive.extract(path, Path(work), staged_media)
        verify_files(staged_media, manifest.files)
        _swap_and_load(manifest, target, Path(work), staged_media, root, progress)
    return RestoreReport(manifest=manifest, tables=_live_sums(target), files=media_sums(root))


def _swap_and_load(manifest, target, work: Path, staged: Path, root: Path, progress) -> None:
    swap = MediaSwap(staged, root)
    swap.apply()
    try:
        progress(f"写入数据库（{len(manifest.tables)} 张表）并核对校验和 …")
        _vendor(target).load(work, manifest, target)
    except BaseException:
        swap.undo()
        raise
    swap.finish()


def _live_sums(target) -> dict[str, TableSum]:
    with target.cursor() as cursor:
        return database_sums(cursor, target.vendor)


def _require_same_vendor(manifest: Manifest, target) -> None:
    if manifest.vendor != target.vendor:
        raise BackupError(
            f"这是 {VENDOR_NAMES.get(manifest.vendor, manifest.vendor)} 数据库的备份，"
            f"当前数据库是 {VENDOR_NAMES.get(target.vendor, target.vendor)}："
            "不支持跨数据库恢复，请恢复到同类数据库"
        )


def code_migrations() -> dict[str, list[str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return migrations_from_rows(loader.disk_migrations.keys())


def _require_schema(manifest: Manifest, target, progress: Progress) -> None:
    """The backup's migrations must be exactly this program's: the dump fits no other
    schema. On PostgreSQL the target must also be migrated (an empty one is, here)."""
    if manifest.migrations != code_migrations():
        raise BackupError(
            f"备份的数据库结构（程序版本 {manifest.app_version}）与本程序的迁移不一致，"
            "请用制作备份时的程序版本恢复，再运行 shequ migrate 升级"
        )
    if target.vendor != "postgresql":
        return
    with target.cursor() as cursor:
        if not tables_of(cursor, "postgresql"):
            progress("目标数据库为空库，先建立数据库结构 …")
            call_command("migrate", database=target.alias, interactive=False, verbosity=0)
    applied = migrations_from_rows(MigrationRecorder(target).applied_migrations().keys())
    if applied != manifest.migrations:
        raise BackupError("目标数据库的结构与本程序不一致，请先运行 shequ migrate 再恢复")


def _require_empty(target, root: Path) -> None:
    with target.cursor() as cursor:
        tables = [t for t in tables_of(cursor, target.vendor) if t.name not in BOOKKEEPING]
        filled = []
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {quote(table.name)} LIMIT 1")
            if cursor.fetchone():
                filled.append(table.name)
    if filled:
        raise BackupError(
            f"目标数据库已有数据（如 {filled[0]} 等 {len(filled)} 张表），恢复会覆盖全部数据；"
            "确认要覆盖时请加 --force"
        )
    if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
        raise BackupError(f"媒体目录 {root} 已有文件，恢复会替换它们；确认要覆盖时请加 --force")
