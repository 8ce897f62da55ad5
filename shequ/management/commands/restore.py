import logging
from pathlib import Path

from django.core.management.base import CommandError

from shequ.core.backup import BackupError, RestoreReport, backup_restore
from shequ.management.base import ShequCommand

# The restored database is exactly the backup (its checksums prove it), so the restore is
# recorded in the operations log, not in the restored audit trail.
log = logging.getLogger("shequ.security")


class Command(ShequCommand):
    help = (
        "从备份文件恢复数据库和上传文件：全部恢复或全部不变，恢复后逐表、逐文件核对校验和。"
        "目标数据库已有数据时拒绝，除非加 --force；请先停止应用服务"
    )
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--force", action="store_true", help="目标数据库已有数据时也恢复（覆盖全部数据）"
        )
        super().add_arguments(parser)

    def handle(self, *args, file, force, **options):
        try:
            report = backup_restore(path=Path(file), force=force, progress=self.stderr.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        log.info("restored from %s (made %s)", file, report.manifest.created_at)
        if options["json"]:
            self.print_json(_document(report))
        else:
            self._print(report)
        if not report.ok:
            raise CommandError("恢复后的校验和与备份清单不符，请检查上面列出的表和文件")

    def _print(self, report: RestoreReport) -> None:
        manifest = report.manifest
        self.stdout.write(
            f"备份时间 {manifest.created_at}，程序版本 {manifest.app_version}，{manifest.vendor}"
        )
        for name, expected in manifest.tables.items():
            found = report.tables.get(name)
            mark = "一致" if found == expected else "不符"
            self.stdout.write(
                f"  表 {name}：{expected.rows} 行 sha256 {expected.sha256[:16]}… {mark}"
            )
        for name, expected in manifest.files.items():
            mark = "一致" if report.files.get(name) == expected else "不符"
            self.stdout.write(f"  文件 {name}：sha256 {expected[:16]}… {mark}")
        if report.ok:
            rows = sum(total.rows for total in manifest.tables.values())
            self.stdout.write(
                self.style.SUCCESS(
                    f"已恢复并核对 {len(manifest.tables)} 张表（{rows} 行）、"
                    f"{len(manifest.files)} 个文件：校验和全部与备份一致"
                )
            )


def _document(report: RestoreReport) -> dict:
    return {
        "ok": report.ok,
        "created_at": report.manifest.created_at,
        "app_version": report.manifest.app_version,
        "vendor": report.manifest.vendor,
        "tables": {
            name: {**expected.as_dict(), "ok": report.tables.get(name) == expected}
            for name, expected in report.manifest.tables.items()
        },
        "files": {
            name: {"sha256": expected, "ok": report.files.get(name) == expected}
            for name, expected in report.manifest.files.items()
        },
    }
