"""The backup file: a gzip-compressed tar of `database/…` (the dump), `media/…` (every
file under MEDIA_ROOT) and `manifest.json` last, written beside its final name and renamed
into place, so a reader never sees half a backup."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from pathlib import Path

from shequ.core.backup.manifest import NAME, BackupError

MEDIA = "media/"


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

    def add_media(self, root: Path) -> dict[str, str]:
        """Every file under the media folder; one that vanishes while we walk is skipped
        (the caller checks that every file the database names is there)."""
        files = {}
        if not root.is_dir():
            return files
        for path in sorted(root.rglob("*")):
            name = path.relative_to(root).as_posix()
            try:
                if path.is_file():
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
    """The dump into `database_dir`, the media files into `media_dir` (tar's `data`
    filter refuses absolute paths, `..` and links out of the folder)."""
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if member.name.startswith(MEDIA):
                    member.name = member.name[len(MEDIA) :]
                    _extract(tar, member, media_dir)
                elif member.name.startswith("database/"):
                    _extract(tar, member, database_dir)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise BackupError(f"备份文件无法解开，可能已损坏：{error}") from error


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, folder: Path) -> None:
    if hasattr(tarfile, "data_filter"):
        tar.extract(member, folder, filter="data")
        return
    # Python before 3.11.4 has no extraction filters (Debian 12's python3 is 3.11.2, and a
    # server's virtual environment is made from it): a backup holds plain files and
    # folders only, so anything else, or a name leading out of the folder, is refused.
    target = (folder / member.name).resolve()
    if not (member.isfile() or member.isdir()) or not target.is_relative_to(folder.resolve()):
        raise tarfile.TarError(f"备份中有不应有的项目：{member.name}")
    member.mode &= 0o755
    tar.extract(member, folder)
