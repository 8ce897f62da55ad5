"""Media files (plan evidence, street plans, checklist photos, import uploads): which ones
the database refers to, and putting a restored folder in place of the current one."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.apps import apps
from django.db import models

from shequ.core.backup.checksums import file_sha256, quote
from shequ.core.backup.manifest import BackupError


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of every installed model."""
    return [
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    ]


def referenced_files(cursor) -> set[str]:
    """The media paths that rows of the database (the snapshot the cursor reads) name."""
    names: set[str] = set()
    for table, column in file_columns():
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(table)} "
            f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} <> ''"
        )
        names.update(name for (name,) in cursor.fetchall())
    return names


def verify_files(root: Path, expected: dict[str, str]) -> None:
    found = {
        path.relative_to(root).as_posix(): file_sha256(path)
        for path in root.rglob("*")
        if path.is_file()
    }
    if found != expected:
        wrong = sorted(
            name for name in found.keys() | expected.keys() if found.get(name) != expected.get(name)
        )
        raise BackupError(
            f"备份中的 {len(wrong)} 个文件与清单不符（如 {wrong[0]}），文件可能已损坏；未做任何改动"
        )


class MediaSwap:
    """Put the staged folder where the media folder is, keeping the old one aside until the
    database is restored too; `undo()` puts the old one back."""

    def __init__(self, staged: Path, root: Path):
        self.staged, self.root = staged, root
        self.aside = root.with_name(f".{root.name}.before-restore")

    def apply(self) -> None:
        if self.aside.exists():
            shutil.rmtree(self.aside)
        if self.root.exists():
            self.root.rename(self.aside)
        self.staged.rename(self.root)

    def undo(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        if self.aside.exists():
            self.aside.rename(self.root)

    def finish(self) -> None:
        if self.aside.exists():
            shutil.rmtree(self.aside)
