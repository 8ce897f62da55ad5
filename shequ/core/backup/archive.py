"""The backup file: a gzip-compressed tar of `database/…` (the dump), `media/…` (the files
under MEDIA_ROOT that rows of the dump name) and `manifest.json` last, written beside its
final name and renamed into place, so a reader never sees half a backup."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from shequ.core.backup.manifest import NAME, BackupError

MEDIA = "media/"
DATABASE = "database/"
CHUNK = 1024 * 1024


class _Hashing:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, stream):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size=-1):
        data = self.stream.read(size)
        self.digest.update(data)
        return data


class ArchiveWriter:
    def __init__(self, output: Path):
        self.output = output
        handle, temporary = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".partial", dir=output.parent
        )
        os.close(handle)
        self.temporary = Path(temporary)
        # Closed by commit() or discard(), which the caller always reaches.
        self.tar = tarfile.open(self.temporary, "w:gz", compresslevel=6)  # noqa: SIM115

    def add_file(self, path: Path, name: str) -> str:
        """Add one file; return its SHA-256 (of exactly the bytes archived)."""
        with path.open("rb") as stream:
            info = self.tar.gettarinfo(fileobj=stream, arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            hashing = _Hashing(stream)
            self.tar.addfile(info, hashing)
        return hashing.digest.hexdigest()

    def add_media(self, root: Path, names: list[str]) -> dict[str, str]:
        """The files of the media folder that the database names (ADR 0040): an upload
        waiting for its confirmation, a refused one or a replaced one is no data of the
        system and stays out. A name that is not there, or that would lead outside the
        folder, is skipped (the caller lists what the database names and is missing)."""
        files = {}
        folder = root.resolve()
        for name in sorted(set(names)):
            path = root.joinpath(*PurePosixPath(name).parts)
            try:
                if path.resolve().is_relative_to(folder) and path.is_file():
                    files[name] = self.add_file(path, MEDIA + name)
            except FileNotFoundError:
                continue
        return files

    def add_bytes(self, data: bytes, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))

    def commit(self) -> None:
        self.tar.close()
        os.replace(self.temporary, self.output)

    def discard(self) -> None:
        self.tar.close()
        self.temporary.unlink(missing_ok=True)


def read_manifest_bytes(path: Path) -> bytes:
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.extractfile(NAME)
            if member is None:
                raise KeyError(NAME)
            return member.read()
    except (OSError, tarfile.TarError, KeyError, EOFError) as error:
        raise BackupError(f"无法读取备份文件 {path}：{error}") from error


def extract(path: Path, database_dir: Path, media_dir: Path) -> None:
    """The dump into `database_dir`, the media files into `media_dir`.

    Every member is checked here rather than by tarfile's extraction filters, which the
    Python of Debian 12 (3.11.2) does not have (`filter=` arrived in 3.11.4): only regular
    files and folders, each a relative name without `..`, written as a new file inside
    its folder. A link, a device or any other name refuses the whole backup."""
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                require_safe(member)
                target = _target(member.name, database_dir, media_dir)
                if target is not None:
                    _write(tar, member, target)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise BackupError(f"备份文件无法解开，可能已损坏：{error}") from error


def require_safe(member: tarfile.TarInfo) -> None:
    """Refuse what no backup of ours holds: links, devices, absolute names, `..`."""
    name = PurePosixPath(member.name)
    if not (member.isreg() or member.isdir()):
        raise BackupError(f"备份文件中有不允许的条目（链接或设备文件）：{member.name}，拒绝恢复")
    if not member.name or name.is_absolute() or ".." in name.parts:
        raise BackupError(f"备份文件中有不安全的路径：{member.name}，拒绝恢复")


def _target(name: str, database_dir: Path, media_dir: Path) -> Path | None:
    """Where a member goes: `database/…` and `media/…` each into its folder; the manifest
    and anything else is not extracted."""
    for prefix, folder in ((MEDIA, media_dir), (DATABASE, database_dir)):
        if name.startswith(prefix):
            relative = name[len(prefix) :] if folder is media_dir else name
            target = folder.joinpath(*PurePosixPath(relative).parts)
            if not target.resolve().is_relative_to(folder.resolve()):
                raise BackupError(f"备份文件中有不安全的路径：{name}，拒绝恢复")
            return target
    return None


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    if member.isdir():
        target.mkdir(mode=0o750, parents=True, exist_ok=True)
        return
    target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:  # not a regular file after all
        raise BackupError(f"备份文件中的条目无法读取：{member.name}")
    # O_EXCL: a name twice in the archive is refused, never written over; O_NOFOLLOW: a
    # link someone put in the folder is not followed.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with source, os.fdopen(os.open(target, flags, 0o600), "wb") as out:
        shutil.copyfileobj(source, out, CHUNK)
    os.chmod(target, (member.mode & 0o644) | 0o600)
    os.utime(target, (member.mtime, member.mtime))
