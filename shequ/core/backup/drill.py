"""The restore drill (ADR 0031): a backup restored into a database the drill creates and
names itself, its media into a temporary folder, every checksum compared with the
manifest, and the database and the folder removed again, also when something fails.

The configured databases are never the target: the drill's own database must differ from
every configured one by name (PostgreSQL) or file (SQLite), and while the drill runs any
query on a configured connection is refused, so that no code path (a migration's
RunPython, a signal) can write there by mistake.
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.utils import load_backend
from django.utils import timezone

from shequ.core.backup import Progress, RestoreReport, backup_read, backup_restore
from shequ.core.backup.checksums import quote
from shequ.core.backup.manifest import BackupError, Manifest

ALIAS = "restore_drill"
SERVER_ALIAS = "restore_drill_server"  # PostgreSQL: where the drill creates its database
# Databases a PostgreSQL server always has; the first one we may connect to is used.
MAINTENANCE_DATABASES = ("postgres", "template1")


def _quiet(_: str) -> None:
    pass


@dataclass
class DrillReport:
    file: Path
    manifest: Manifest
    database: str  # the drill's own database: a PostgreSQL name or a temporary SQLite file
    restore: RestoreReport | None  # None when the restore failed (see `error`)
    error: str = ""
    created: bool = False  # the drill created its database (and so must remove it)
    cleaned_up: bool = False  # the drill's database and temporary files are gone

    @property
    def ok(self) -> bool:
        return self.restore is not None and self.restore.ok and not self.error


def drill_name(vendor: str, work: Path) -> str:
    """The drill's database: a new PostgreSQL database on the configured server, or a
    file in the drill's temporary folder."""
    if vendor == "sqlite":
        return str(work / "drill.sqlite3")
    return "shequ_drill_" + timezone.localtime().strftime("%Y%m%d%H%M%S")


def backup_drill(*, path: Path, progress: Progress = _quiet) -> DrillReport:
    """Restore `path` into a database of its own and check it against the manifest; the
    configured database and media folder are never touched."""
    path = Path(path)
    manifest = backup_read(path)
    configured = connections[DEFAULT_DB_ALIAS]
    with tempfile.TemporaryDirectory(prefix="shequ-drill-") as folder:
        work = Path(folder)
        report = DrillReport(path, manifest, drill_name(configured.vendor, work), None)
        settings = {
            **copy.deepcopy(configured.settings_dict),
            "NAME": report.database,
            "CONN_MAX_AGE": 0,
        }
        try:
            _drill(report, settings, work, progress)
        except (BackupError, DatabaseError, OSError) as error:
            report.error = str(error)
    report.cleaned_up = not work.exists() and not (report.created and _database_left(settings))
    return report


def _drill(report: DrillReport, settings: dict, work: Path, progress: Progress) -> None:
    require_separate(settings)
    with _own_database(report, settings, progress) as alias, _configured_databases_refused():
        progress(f"演练：恢复到临时数据库 {report.database}，上传文件恢复到临时目录 …")
        report.restore = backup_restore(
            path=report.file, using=alias, media=work / "media", progress=progress
        )


# --- the drill's own database ----------------------------------------------------------


def require_separate(settings: dict) -> None:
    """Refuse a drill database that is one of the configured ones (same name on
    PostgreSQL, same file on SQLite)."""
    mine = _identity(settings)
    for alias in connections:  # the configured ones: the drill's are never among them
        if _identity(connections[alias].settings_dict) == mine:
            raise BackupError(
                f"演练数据库 {settings['NAME']} 就是系统正在使用的数据库，拒绝恢复："
                "演练只恢复到它自己新建的数据库"
            )


def _identity(settings: dict) -> tuple[str, str]:
    name = str(settings["NAME"])
    if settings["ENGINE"].endswith("sqlite3") and not name.startswith("file:"):
        name = str(Path(name).resolve()) if name != ":memory:" else name
    return settings["ENGINE"], name


@contextlib.contextmanager
def _own_database(report: DrillReport, settings: dict, progress: Progress) -> Iterator[str]:
    """The drill's database under ALIAS: a SQLite file in the drill's folder (removed
    with it), or a PostgreSQL database created here and dropped afterwards, whatever
    happened in between."""
    if settings["ENGINE"].endswith("sqlite3"):
        report.created = True
        with _alias(ALIAS, settings):
            yield ALIAS
        return
    _create(settings, progress)
    report.created = True
    try:
        with _alias(ALIAS, settings):
            yield ALIAS
    finally:
        _drop(settings, progress)


@contextlib.contextmanager
def _alias(alias: str, settings: dict) -> Iterator[None]:
    """A connection under `alias` in this thread only, never among the configured
    databases (`settings.DATABASES` is not changed): `migrate --database` and
    `transaction.atomic(using=)` find it, the configured ones are not it."""
    if alias in connections:
        raise BackupError(f"数据库别名 {alias} 已在配置中使用，演练无法进行")
    wrapper = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, alias)
    connections[alias] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        with contextlib.suppress(AttributeError):
            del connections[alias]


@contextlib.contextmanager
def _server(settings: dict) -> Iterator:
    """A cursor on the configured PostgreSQL server, outside any database we restore to,
    with the configured credentials."""
    last: Exception | None = None
    for name in MAINTENANCE_DATABASES:
        with _alias(SERVER_ALIAS, {**settings, "NAME": name}):
            try:
                cursor = connections[SERVER_ALIAS].cursor()
            except DatabaseError as error:
                last = error
                continue
            with cursor:
                yield cursor
            return
    raise BackupError(f"无法连接数据库服务器（{settings.get('HOST') or '本机'}）：{last}")


def _create(settings: dict, progress: Progress) -> None:
    name = settings["NAME"]
    progress(f"在数据库服务器上新建演练数据库 {name} …")
    with _server(settings) as cursor:
        collate, ctype = _locale_of(cursor)
        try:
            cursor.execute(
                f"CREATE DATABASE {quote(name)} TEMPLATE template0 ENCODING 'UTF8' "
                f"LC_COLLATE {_literal(collate)} LC_CTYPE {_literal(ctype)}"
            )
        except DatabaseError as error:
            raise BackupError(
                f"无法新建演练数据库 {name}：{error}。演练需要数据库用户有建库权限"
                "（例如 sudo -u postgres psql -c 'ALTER ROLE shequ CREATEDB'）"
            ) from error


def _locale_of(cursor) -> tuple[str, str]:
    """The configured database's collation: text keys sort, and so checksum, alike."""
    configured = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    cursor.execute("SELECT datcollate, datctype FROM pg_database WHERE datname = %s", [configured])
    row = cursor.fetchone()
    return (row[0], row[1]) if row else ("C.UTF-8", "C.UTF-8")


def _literal(text: str) -> str:
    """A string constant for CREATE DATABASE, which takes no parameters."""
    return "'" + text.replace("'", "''") + "'"


def _drop(settings: dict, progress: Progress) -> None:
    """Drop the drill's database; a failure is reported (`DrillReport.cleaned_up`), not
    raised, so that it never hides why the drill failed."""
    require_separate(settings)
    progress(f"删除演练数据库 {settings['NAME']} …")
    try:
        with _server(settings) as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(settings['NAME'])} WITH (FORCE)")
    except (BackupError, DatabaseError) as error:
        progress(f"演练数据库 {settings['NAME']} 未能删除：{error}")


def _database_left(settings: dict) -> bool:
    """Whether the drill's PostgreSQL database still exists (a SQLite one lives in the
    drill's temporary folder)."""
    if settings["ENGINE"].endswith("sqlite3"):
        return Path(settings["NAME"]).exists()
    try:
        with _server(settings) as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
            return cursor.fetchone() is not None
    except (BackupError, DatabaseError):
        return True


# --- the configured databases, out of reach ---------------------------------------------


def _refuse(execute, sql, params, many, context):
    raise BackupError("演练过程中不得访问系统正在使用的数据库（已拒绝）")


@contextlib.contextmanager
def _configured_databases_refused() -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for alias in connections:  # the configured ones
            stack.enter_context(connections[alias].execute_wrapper(_refuse))
        yield
