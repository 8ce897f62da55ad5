"""Scheduled backups into a folder (ADR 0031): each a new file named by its time, the
oldest of *our* files beyond a number removed, then the new one handed to the operator's
copy command, which takes it off the machine.

Only names this module gives (`shequ-YYYYmmdd-HHMMSS.tar.gz`, `-2`, `-3` … when two fall in
one second) are ever counted or removed; any other file in the folder is left alone.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from shequ.core.backup import Progress, backup_create
from shequ.core.backup.manifest import BackupError, Manifest, os_reason

DEFAULT_KEEP = 14
FOLDER_MODE = 0o750
NAME = re.compile(r"^shequ-(\d{8})-(\d{6})(?:-(\d+))?\.tar\.gz$")


@dataclass
class CopyResult:
    command: list[str]
    returncode: int | None  # None: the command could not be started
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def as_dict(self) -> dict:
        return {
            "command": self.command,
            "ok": self.ok,
            "returncode": self.returncode,
            "output": self.output,
        }


@dataclass
class FolderBackup:
    path: Path
    manifest: Manifest
    keep: int
    pruned: list[Path] = field(default_factory=list)
    prune_errors: list[str] = field(default_factory=list)
    copy: CopyResult | None = None  # None: no copy command configured

    @property
    def ok(self) -> bool:
        """The backup is made in any case; this says whether what follows went well."""
        return not self.prune_errors and (self.copy is None or self.copy.ok)


def backup_to_folder(
    *,
    folder: Path,
    keep: int = DEFAULT_KEEP,
    copy_command: str = "",
    progress: Progress,
    now: datetime | None = None,
) -> FolderBackup:
    """A new backup in `folder` (made if missing), the oldest beyond `keep` removed, then
    `copy_command` run with the new file's path. A failed copy is in the result; the
    backup stays."""
    if keep < 1:
        raise BackupError("--keep 至少为 1（保留的备份个数）")
    folder = make_folder(folder)
    path = free_name(folder, now or timezone.localtime())
    manifest = backup_create(output=path, progress=progress)
    result = FolderBackup(path=path, manifest=manifest, keep=keep)
    result.pruned, result.prune_errors = prune(folder, keep=keep, progress=progress)
    if copy_command.strip():
        result.copy = copy_off(path, copy_command, progress=progress)
    return result


def make_folder(folder: Path) -> Path:
    """The folder, with each missing level created 0750 (the backups hold every user's
    data); a Chinese message when it cannot be made or written to."""
    folder = Path(folder).absolute()
    missing = [p for p in [folder, *folder.parents] if not p.is_dir()]
    for level in missing:
        if level.exists() or level.is_symlink():
            raise BackupError(f"无法创建备份目录 {folder}：{level} 已存在，但不是目录")
    try:
        for level in reversed(missing):
            level.mkdir(mode=FOLDER_MODE)
            level.chmod(FOLDER_MODE)  # mkdir's mode is masked by the umask
    except OSError as error:
        raise BackupError(f"无法创建备份目录 {folder}：{os_reason(error)}") from error
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"备份目录 {folder} 不可写：权限不足（以运行应用的用户执行，如 shequ）")
    return folder


def free_name(folder: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path, number = folder / f"shequ-{stamp}.tar.gz", 1
    while path.exists():
        number += 1
        path = folder / f"shequ-{stamp}-{number}.tar.gz"
    return path


def own_backups(folder: Path) -> list[Path]:
    """The backups this module named in `folder`, oldest first (by the time in the name:
    a copy that kept no mtime is still ordered right)."""
    found = []
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            date, time, number = match.groups()
            found.append(((date, time, int(number or 1)), path))
    return [path for _, path in sorted(found)]


def prune(folder: Path, *, keep: int, progress: Progress) -> tuple[list[Path], list[str]]:
    """Remove our oldest backups beyond `keep` (the newest is always among those kept):
    the files removed, and a message for each that could not be."""
    backups = own_backups(folder)
    removed, errors = [], []
    for path in backups[: max(len(backups) - keep, 0)]:
        try:
            path.unlink()
        except OSError as error:
            errors.append(f"无法删除旧备份 {path}：{os_reason(error)}")
            continue
        progress(f"已删除旧备份 {path.name}（保留最新 {keep} 个）")
        removed.append(path)
    return removed, errors


def copy_off(path: Path, command: str, *, progress: Progress) -> CopyResult:
    """Run the copy command with the backup's path as its one last argument. No shell:
    the command is split like a shell would split it, the path is passed as it is."""
    try:
        argv = [*shlex.split(command), str(path)]
    except ValueError as error:
        return CopyResult([command], None, f"复制命令无法解析：{error}")
    progress(f"复制到其他机器：{shlex.join(argv)}")
    try:
        done = subprocess.run(  # the operator's own command, without a shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
    except OSError as error:
        return CopyResult(argv, None, f"复制命令无法执行：{os_reason(error)}")
    output = done.stdout.decode(errors="replace")
    if output.strip():
        progress(output.rstrip())
    return CopyResult(argv, done.returncode, output)
