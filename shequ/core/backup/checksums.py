"""Checksums of what a backup holds: each table's rows and each media file.

A table's checksum is the SHA-256 of its rows in primary-key order, each row rendered as a
JSON array of its columns cast to text by the database itself. Casting in SQL makes the
value independent of the driver's type converters (Django's SQLite connection turns
`decimal` columns into Decimal, a bare sqlite3 connection does not), so the backup, the
restore and the tests all compute the same figure. It is stable for one vendor, not across
vendors (PostgreSQL renders `true` where SQLite stores 1).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # primary-key columns; empty when the table has none


@dataclass(frozen=True)
class TableSum:
    rows: int
    sha256: str

    def as_dict(self) -> dict:
        return {"rows": self.rows, "sha256": self.sha256}


def tables_of(cursor, vendor: str) -> list[Table]:
    """Every table of the database (Django's own and ours), sorted by name."""
    if vendor == "sqlite":
        return _sqlite_tables(cursor)
    if vendor == "postgresql":
        return _postgres_tables(cursor)
    raise ValueError(f"不支持的数据库：{vendor}")


def _sqlite_tables(cursor) -> list[Table]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    tables = []
    for (name,) in cursor.fetchall():
        cursor.execute(f"PRAGMA table_info({quote(name)})")
        # (cid, name, type, notnull, default, pk): pk is the column's place in the key.
        info = cursor.fetchall()
        key = tuple(column[1] for column in sorted(info, key=lambda c: c[5]) if column[5])
        tables.append(Table(name, tuple(column[1] for column in info), key))
    return tables


def _postgres_tables(cursor) -> list[Table]:
    columns = _by_table(
        cursor,
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position",
    )
    keys = _by_table(
        cursor,
        "SELECT k.table_name, k.column_name FROM information_schema.table_constraints c "
        "JOIN information_schema.key_column_usage k "
        "ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name "
        "WHERE c.table_schema = current_schema() AND c.constraint_type = 'PRIMARY KEY' "
        "ORDER BY k.table_name, k.ordinal_position",
    )
    return [
        Table(name, tuple(cols), tuple(keys.get(name, ())))
        for name, cols in sorted(columns.items())
    ]


def _by_table(cursor, sql: str) -> dict[str, list[str]]:
    """(table, column) rows as table → columns, in the order the query gives."""
    cursor.execute(sql)
    grouped: dict[str, list[str]] = {}
    for table, column in cursor.fetchall():
        grouped.setdefault(table, []).append(column)
    return grouped


def quote(name: str) -> str:
    """An identifier quoted the standard way (both vendors accept it)."""
    return '"' + name.replace('"', '""') + '"'


def table_sum(cursor, table: Table) -> TableSum:
    values = ", ".join(f"CAST({quote(c)} AS TEXT)" for c in table.columns)
    # Without a key, every column in turn orders the rows: the same rows, the same order.
    order = ", ".join(quote(c) for c in table.key) or ", ".join(
        str(n) for n in range(1, len(table.columns) + 1)
    )
    cursor.execute(f"SELECT {values} FROM {quote(table.name)} ORDER BY {order}")
    digest = hashlib.sha256()
    rows = 0
    while batch := cursor.fetchmany(2000):
        for row in batch:
            digest.update(json.dumps(list(row), ensure_ascii=False).encode())
            digest.update(b"\n")
        rows += len(batch)
    return TableSum(rows, digest.hexdigest())


def database_sums(cursor, vendor: str) -> dict[str, TableSum]:
    """Every table's checksum, by table name."""
    return {table.name: table_sum(cursor, table) for table in tables_of(cursor, vendor)}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def media_sums(root: Path) -> dict[str, str]:
    """The SHA-256 of every file under the media folder, by its path relative to it."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): file_sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
