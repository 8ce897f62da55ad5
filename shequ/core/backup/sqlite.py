"""SQLite: the online backup API copies the live database page by page into a file; that
file is the dump, and restoring copies it back the same way, in one transaction."""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

from django.db import connection

from shequ.core.backup.checksums import database_sums
from shequ.core.backup.manifest import BackupError

MEMBER = "database/shequ.sqlite3"


@contextmanager
def snapshot(workdir: Path):
    """A consistent copy of the live database, open for reading: (cursor, dump files).

    `Connection.backup` with all pages in one step holds a read lock only while it copies
    (milliseconds for a district), so the app goes on writing; a writer waits at most
    that long (the connection's 20 s timeout covers it)."""
    path = workdir / "shequ.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    with closing(sqlite3.connect(path)) as copy:
        yield copy.cursor(), {MEMBER: path}


def verify_dump(workdir: Path, expected: dict) -> None:
    """Before anything is touched: the file in the archive holds what the manifest says."""
    with closing(sqlite3.connect(workdir / MEMBER)) as copy:
        found = database_sums(copy.cursor(), "sqlite")
    if found != expected:
        raise BackupError("备份中的数据库与清单的校验和不符，文件可能已损坏；未做任何改动")


def load(workdir: Path, manifest, target) -> None:
    """Replace the live database (`target`, a Django connection) by the archived one. The
    backup API writes the target in one transaction: if it fails, the database is as it
    was."""
    verify_dump(workdir, manifest.tables)
    target.close()
    target.ensure_connection()
    with closing(sqlite3.connect(workdir / MEMBER)) as source:
        try:
            source.backup(target.connection)
        except sqlite3.Error as error:
            raise BackupError(f"写入数据库失败，数据库未改动：{error}") from error
