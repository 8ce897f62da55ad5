"""The manifest inside every backup: what it holds and how to check it."""

from __future__ import annotations

import errno
import json
from dataclasses import dataclass, field
from importlib import metadata

from shequ.core.backup.checksums import TableSum

FORMAT = "shequ-backup"
FORMAT_VERSION = 1
NAME = "manifest.json"


class BackupError(Exception):
    """A backup that cannot be made or restored; the message is for the operator."""


OS_REASONS = {
    errno.EACCES: "权限不足",
    errno.EPERM: "权限不足",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "只读文件系统",
    errno.ENOTDIR: "路径中有一段是文件而不是目录",
    errno.EEXIST: "已有同名文件",
    errno.ENOENT: "文件或目录不存在",
}


def os_reason(error: OSError) -> str:
    """An OSError in the operator's words."""
    return OS_REASONS.get(error.errno or 0, error.strerror or str(error))


def app_version() -> str:
    try:
        return metadata.version("shequ")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


@dataclass
class Manifest:
    vendor: str
    created_at: str  # ISO 8601, UTC
    migrations: dict[str, list[str]]  # app label → applied migration names, sorted
    tables: dict[str, TableSum]
    columns: dict[str, list[str]]  # table → columns in the order the dump writes them
    files: dict[str, str]  # media path → SHA-256
    sequences: dict[str, int] = field(default_factory=dict)  # PostgreSQL: sequence → last value
    # Media paths named by rows of the snapshot: each must be among `files`.
    referenced: list[str] = field(default_factory=list)
    # Referenced files that were not on the disk at the last attempt (lost before).
    missing: list[str] = field(default_factory=list)
    app_version: str = field(default_factory=app_version)
    format_version: int = FORMAT_VERSION

    def as_dict(self) -> dict:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "app_version": self.app_version,
            "created_at": self.created_at,
            "vendor": self.vendor,
            "migrations": self.migrations,
            "tables": {name: total.as_dict() for name, total in self.tables.items()},
            "columns": self.columns,
            "sequences": self.sequences,
            "files": self.files,
            "referenced": self.referenced,
            "missing": self.missing,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            document = json.loads(data)
        except ValueError as error:
            raise BackupError("备份文件的清单无法读取，文件可能已损坏") from error
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BackupError("这不是本系统的备份文件")
        if document.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"备份格式版本为 {document.get('format_version')}，本程序只能恢复版本 "
                f"{FORMAT_VERSION}；请用制作该备份的程序版本（{document.get('app_version')}）恢复"
            )
        try:
            return cls._from_document(document)
        except (KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"备份文件的清单不完整（缺少 {error}），文件可能已损坏") from error

    @classmethod
    def _from_document(cls, document: dict) -> Manifest:
        return cls(
            vendor=document["vendor"],
            created_at=document["created_at"],
            migrations=document["migrations"],
            tables={
                name: TableSum(total["rows"], total["sha256"])
                for name, total in document["tables"].items()
            },
            columns=document["columns"],
            files=document["files"],
            sequences=document.get("sequences", {}),
            referenced=document.get("referenced", []),
            missing=document.get("missing", []),
            app_version=document["app_version"],
            format_version=document["format_version"],
        )


def migrations_from_rows(rows) -> dict[str, list[str]]:
    """`(app, name)` rows of django_migrations as app → sorted names."""
    state: dict[str, list[str]] = {}
    for app, name in rows:
        state.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}
