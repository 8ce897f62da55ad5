"""Unpacking a backup on any Python the servers run: with tar's extraction filters
(3.11.4 and later) and without them (Debian 12's python3 is 3.11.2)."""

import io
import tarfile

import pytest

from shequ.core.backup import archive
from shequ.core.backup.manifest import BackupError


@pytest.fixture(params=["filters", "no filters"])
def python(request, monkeypatch):
    if request.param == "no filters":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no extraction filters")
    return request.param


def backup_file(tmp_path, *members: tarfile.TarInfo | tuple[str, bytes]):
    path = tmp_path / "backup.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o640
            tar.addfile(info, io.BytesIO(data))
    return path


def test_it_unpacks_the_dump_and_the_media_files(python, tmp_path):
    path = backup_file(
        tmp_path,
        ("database/ledger_ledgerrow.copy", b"1\t2\n"),
        ("media/checklist/photos/大厅.png", b"\x89PNG"),
    )
    database, media = tmp_path / "db", tmp_path / "media"
    database.mkdir(), media.mkdir()

    archive.extract(path, database, media)

    assert (database / "database" / "ledger_ledgerrow.copy").read_bytes() == b"1\t2\n"
    assert (media / "checklist" / "photos" / "大厅.png").read_bytes() == b"\x89PNG"


def test_a_name_leading_out_of_the_folder_is_refused(python, tmp_path):
    path = backup_file(tmp_path, ("media/../../outside.txt", b"x"))
    (tmp_path / "db").mkdir(), (tmp_path / "media").mkdir()

    with pytest.raises(BackupError, match="备份文件无法解开"):
        archive.extract(path, tmp_path / "db", tmp_path / "media")

    assert not (tmp_path.parent / "outside.txt").exists()


def test_a_link_is_refused(python, tmp_path):
    link = tarfile.TarInfo("media/passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    path = backup_file(tmp_path, link)
    (tmp_path / "db").mkdir(), (tmp_path / "media").mkdir()

    with pytest.raises(BackupError, match="备份文件无法解开"):
        archive.extract(path, tmp_path / "db", tmp_path / "media")

    assert not (tmp_path / "media" / "passwd").exists()
