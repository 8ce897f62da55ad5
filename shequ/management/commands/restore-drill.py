from pathlib import Path

from django.core.management.base import CommandError

from shequ.core.backup import BackupError
from shequ.core.backup.drill import DrillReport, backup_drill
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = (
        "恢复演练：把备份恢复到演练自己新建的临时数据库和临时目录，逐表、逐文件核对校验和，"
        "然后删除临时数据库和文件；系统正在使用的数据库和上传文件不受任何影响，应用无需停止"
    )
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="备份文件")
        super().add_arguments(parser)

    def handle(self, *args, file, **options):
        try:
            report = backup_drill(path=Path(file), progress=self.stderr.write)
        except BackupError as error:  # the backup could not even be read
            raise CommandError(f"恢复演练未通过：{error}") from error
        if options["json"]:
            self.print_json(drill_document(report))
        else:
            self._print(report)
        problems = []
        if not report.ok:
            problems.append(f"恢复演练未通过：{failure(report)}")
        if not report.cleaned_up:
            problems.append(
                f"演练数据库 {report.database} 或临时文件未能删除，请手动删除（含全部个人信息）"
            )
        if problems:
            raise CommandError("；".join(problems))

    def _print(self, report: DrillReport) -> None:
        manifest = report.manifest
        self.stdout.write(
            f"备份文件 {report.file}：备份时间 {manifest.created_at}，"
            f"程序版本 {manifest.app_version}，{manifest.vendor}"
        )
        gone = "演练后已删除" if report.cleaned_up else "未能删除"
        self.stdout.write(f"演练数据库 {report.database}（{gone}）")
        for line in check_lines(report):
            self.stdout.write(line)
        if report.ok:
            rows = sum(total.rows for total in manifest.tables.values())
            self.stdout.write(
                self.style.SUCCESS(
                    f"恢复演练通过：{len(manifest.tables)} 张表（{rows} 行）、"
                    f"{len(manifest.files)} 个文件的校验和全部与备份清单一致"
                )
            )


def check_lines(report: DrillReport) -> list[str]:
    if report.restore is None:
        return []
    found = report.restore
    lines = []
    for name, expected in report.manifest.tables.items():
        mark = "一致" if found.tables.get(name) == expected else "不符"
        lines.append(f"  表 {name}：{expected.rows} 行 sha256 {expected.sha256[:16]}… {mark}")
    for name, expected in report.manifest.files.items():
        mark = "一致" if found.files.get(name) == expected else "不符"
        lines.append(f"  文件 {name}：sha256 {expected[:16]}… {mark}")
    return lines


def failure(report: DrillReport) -> str:
    if report.error:
        return report.error
    return "恢复后的校验和与备份清单不符，请检查上面列出的表和文件"


def drill_document(report: DrillReport) -> dict:
    manifest, found = report.manifest, report.restore
    tables = found.tables if found else {}
    files = found.files if found else {}
    return {
        "ok": report.ok,
        "file": str(report.file.resolve()),
        "created_at": manifest.created_at,
        "app_version": manifest.app_version,
        "vendor": manifest.vendor,
        "drill_database": report.database,
        "cleaned_up": report.cleaned_up,
        "restored": found is not None,
        "error": (failure(report) if not report.ok else None),
        "table_count": len(manifest.tables),
        "row_count": sum(total.rows for total in manifest.tables.values()),
        "file_count": len(manifest.files),
        "tables": {
            name: {**expected.as_dict(), "ok": tables.get(name) == expected}
            for name, expected in manifest.tables.items()
        },
        "files": {
            name: {"sha256": expected, "ok": files.get(name) == expected}
            for name, expected in manifest.files.items()
        },
    }
