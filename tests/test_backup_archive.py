"""Unpacking a backup: the same checks on every Python 3.11+, without tarfile's extraction
filters (Debian 12's Python 3.11.2 has no `filter=`, which arrived in 3.11.4)."""

import io
import tarfile
from pathlib import Path

import pytest

from shequ.core.backup import archive
from shequ.core.backup.manifest import BackupError

PY_3_11_2_MISSING = ("data_filter", "tar_filter", "fully_trusted_filter", "FilterError")


@pytest.fixture
def python_3_11_2_tarfile(monkeypatch):
    """tarfile as Debian 12's Python 3.11.2 has it: no extraction filters, and
    `extract`/`extractall` refuse the `filter` argument."""
    extract, extractall = tarfile.TarFile.extract, tarfile.TarFile.extractall

    def old_extract(self, member, path="", set_attrs=True, *, numeric_owner=False):
        return extract(self, member, path, set_attrs, numeric_owner=numeric_owner)

    def old_extractall(self, path=".", members=None, *, numeric_owner=False):
        return extractall(self, path, members, numeric_owner=numeric_owner)

    monkeypatch.setattr(tarfile.TarFile, "extract", old_extract)
    monkeypatch.setattr(tarfile.TarFile, "extractall", old_extractall)
    for name in PY_3_11_2_MISSING:
        monkeypatch.delattr(tarfile, name, raising=False)


def member(name: str, data: bytes = b"", **attributes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    for key, value in attributes.items():
        setattr(info, key, value)
    return info, data


def an_archive(path: Path, *members: tuple[tarfile.TarInfo, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def unpack(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    database, media = tmp_path / "db", tmp_path / "media"
    database.mkdir()
    media.mkdir()
    archive.extract(path, database, media)
    return database, media


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_backup_unpacks_on_a_python_without_extraction_filters(python_3_11_2_tarfile, tmp_path):
    assert not hasattr(tarfile, "data_filter")
    path = an_archive(
        tmp_path / "b.tar.gz",
        member("database/shequ.sqlite3", b"SQLite"),
        member("media/plans/佐证 1.pdf", b"%PDF"),
        member("media/imports", type=tarfile.DIRTYPE, mode=0o755),
        member("manifest.json", b"{}"),
    )

    database, media = unpack(path, tmp_path)

    assert files_under(database) == {"database/shequ.sqlite3": b"SQLite"}
    assert files_under(media) == {"plans/佐证 1.pdf": b"%PDF"}
    assert (media / "imports").is_dir()


def test_unpacked_files_keep_no_execute_or_shared_write_bits(tmp_path):
    path = an_archive(tmp_path / "b.tar.gz", member("media/a.txt", b"a", mode=0o4777))

    _, media = unpack(path, tmp_path)

    assert (media / "a.txt").stat().st_mode & 0o7777 == 0o644


@pytest.mark.parametrize(
    ("unsafe", "message"),
    [
        (member("/etc/cron.d/evil", b"x"), "不安全的路径"),
        (member("media/../../evil", b"x"), "不安全的路径"),
        (member("database/../evil", b"x"), "不安全的路径"),
        (member("../evil", b"x"), "不安全的路径"),
        (member("media/link", type=tarfile.SYMTYPE, linkname="/etc/passwd"), "链接或设备"),
        (member("media/inside", type=tarfile.SYMTYPE, linkname="a.txt"), "链接或设备"),
        (member("media/hard", type=tarfile.LNKTYPE, linkname="/etc/passwd"), "链接或设备"),
        (member("media/tty", type=tarfile.CHRTYPE, devmajor=5, devminor=0), "链接或设备"),
        (member("media/disk", type=tarfile.BLKTYPE, devmajor=8, devminor=0), "链接或设备"),
        (member("media/pipe", type=tarfile.FIFOTYPE), "链接或设备"),
    ],
    ids=[
        "absolute",
        "dotdot-media",
        "dotdot-database",
        "dotdot-top",
        "symlink-out",
        "symlink-in",
        "hardlink",
        "char-device",
        "block-device",
        "fifo",
    ],
)
def test_an_unsafe_member_refuses_the_whole_backup(
    python_3_11_2_tarfile, tmp_path, unsafe, message
):
    path = an_archive(tmp_path / "b.tar.gz", member("media/a.txt", b"a"), unsafe)

    with pytest.raises(BackupError, match=message):
        unpack(path, tmp_path)

    assert not (tmp_path.parent / "evil").exists()
    assert not (tmp_path / "evil").exists()
    assert not (tmp_path / "media" / "link").exists()


def test_a_name_twice_in_the_archive_is_refused_not_written_over(tmp_path):
    path = an_archive(
        tmp_path / "b.tar.gz", member("media/a.txt", b"first"), member("media/a.txt", b"second")
    )

    with pytest.raises(BackupError, match="无法解开"):
        unpack(path, tmp_path)

    assert (tmp_path / "media" / "a.txt").read_bytes() == b"first"
