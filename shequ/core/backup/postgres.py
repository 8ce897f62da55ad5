"""PostgreSQL: every table copied out (COPY … TO STDOUT) inside one read-only REPEATABLE
READ transaction, so the dump, its checksums and the list of referenced files all come
from one snapshot while the app goes on writing; restoring copies them back (COPY … FROM
STDIN) in one transaction that checks every table's checksum before it commits.

No pg_dump: the restore can then verify inside its transaction and roll back on any
difference, and no client binary must match the server's major version (ADR 0015)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction

from shequ.core.backup.checksums import database_sums, quote, tables_of
from shequ.core.backup.manifest import BackupError

CHUNK = 1024 * 1024


def member(table: str) -> str:
    return f"database/{table}.copy"


@contextmanager
def snapshot(workdir: Path):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # Timestamps rendered the same way whatever the server's default zone.
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        files = {}
        for table in tables_of(cursor, "postgresql"):
            path = workdir / f"{table.name}.copy"
            _copy_out(cursor, table, path)
            files[member(table.name)] = path
        yield cursor, files


def _copy_out(cursor, table, path: Path) -> None:
    columns = ", ".join(quote(c) for c in table.columns)
    with (
        path.open("wb") as out,
        cursor.copy(f"COPY {quote(table.name)} ({columns}) TO STDOUT") as copy,
    ):
        for data in copy:
            out.write(data)


def sequences(cursor) -> dict[str, int]:
    """The last value of every sequence, so that restored tables never hand out an id
    twice (not even one of a row deleted before the backup)."""
    cursor.execute(
        "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences "
        "WHERE schemaname = current_schema()"
    )
    return {name: value for name, value in cursor.fetchall() if value is not None}


def load(workdir: Path, manifest, target) -> None:
    with transaction.atomic(using=target.alias), target.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        current = [table.name for table in tables_of(cursor, "postgresql")]
        cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in current)} RESTART IDENTITY CASCADE")
        for table, columns in manifest.columns.items():
            _copy_in(cursor, table, columns, workdir / member(table))
        for name, value in manifest.sequences.items():
            cursor.execute("SELECT setval(%s, %s)", [name, value])
        # Foreign keys are deferred to the commit; check them now, while a failure still
        # rolls everything back with a message.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        found = database_sums(cursor, "postgresql")
        if found != manifest.tables:
            raise BackupError(
                "恢复后的数据与备份清单的校验和不符，已全部撤销，数据库未改动："
                + "、".join(sorted(_differences(found, manifest.tables)))
            )


def _copy_in(cursor, table: str, columns: list[str], path: Path) -> None:
    names = ", ".join(quote(c) for c in columns)
    with (
        path.open("rb") as source,
        cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):
        while data := source.read(CHUNK):
            copy.write(data)


def _differences(found: dict, expected: dict) -> set[str]:
    return {
        name for name in found.keys() | expected.keys() if found.get(name) != expected.get(name)
    }
