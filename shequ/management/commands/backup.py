from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from shequ.core.backup import BackupError, Manifest, backup_create
from shequ.core.backup.folder import DEFAULT_KEEP, FolderBackup, backup_to_folder
from shequ.management.base import ShequCommand

# Made, but what follows it (removing old backups, the copy to another machine) failed.
EXIT_AFTER_BACKUP = 3


class Command(ShequCommand):
    help = (
        "备份数据库和全部上传文件到一个文件（系统运行中也可执行，取得一致的快照）；"
        "文件内附清单：各表行数和校验和、各文件的 SHA-256。"
        "定时备份用 --to-dir：在目录中按时间命名，只保留最新 --keep 个，"
        "再用 SHEQU_BACKUP_COPY_COMMAND 复制到其他机器"
    )
    supports_json = True

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("-o", "--output", metavar="FILE", help="备份文件")
        target.add_argument(
            "--to-dir",
            metavar="DIR",
            help="备份到该目录，文件名 shequ-年月日-时分秒.tar.gz（目录不存在时以 0750 权限创建）",
        )
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help=(
                f"与 --to-dir 同用：只保留该目录中本命令生成的最新 N 个备份（默认 {DEFAULT_KEEP}）"
            ),
        )
        super().add_arguments(parser)

    def handle(self, *args, output, to_dir, keep, **options):
        if keep is not None and not to_dir:
            raise CommandError("--keep 只能与 --to-dir 同用")
        try:
            if to_dir:
                self._to_folder(Path(to_dir), DEFAULT_KEEP if keep is None else keep, options)
            else:
                self._to_file(Path(output), options)
        except BackupError as error:
            raise CommandError(str(error)) from error

    def _to_file(self, output: Path, options) -> None:
        manifest = backup_create(output=output, progress=self.stderr.write)
        if options["json"]:
            self.print_json({"file": str(output.resolve()), **manifest.as_dict()})
            return
        self.stdout.write(self.style.SUCCESS(made(output, manifest)))

    def _to_folder(self, folder: Path, keep: int, options) -> None:
        result = backup_to_folder(
            folder=folder,
            keep=keep,
            copy_command=settings.SHEQU_BACKUP_COPY_COMMAND,
            progress=self.stderr.write,
        )
        if options["json"]:
            self.print_json(folder_document(result))
        else:
            self._print_folder(result)
        if not result.ok:
            raise CommandError(
                f"备份文件 {result.path} 已生成，但{'；'.join(problems(result))}",
                returncode=EXIT_AFTER_BACKUP,
            )

    def _print_folder(self, result: FolderBackup) -> None:
        self.stdout.write(self.style.SUCCESS(made(result.path, result.manifest)))
        self.stdout.write(
            f"目录中保留最新 {result.keep} 个备份，本次删除 {len(result.pruned)} 个旧备份"
        )
        if result.copy is None:
            self.stdout.write("未设置 SHEQU_BACKUP_COPY_COMMAND：备份只在本机，没有复制到其他机器")
        elif result.copy.ok:
            self.stdout.write("已复制到其他机器（复制命令退出码 0）")


def made(path: Path, manifest: Manifest) -> str:
    rows = sum(total.rows for total in manifest.tables.values())
    return (
        f"已备份到 {path}：{len(manifest.tables)} 张表 {rows} 行，"
        f"{len(manifest.files)} 个文件（{manifest.vendor}，{manifest.created_at}）"
    )


def problems(result: FolderBackup) -> list[str]:
    found = list(result.prune_errors)
    copy = result.copy
    if copy is not None and not copy.ok:
        if copy.returncode is None:
            found.append(f"没有复制到其他机器：{copy.output}")
        else:
            found.append(f"复制到其他机器失败（复制命令退出码 {copy.returncode}）")
    return found


def folder_document(result: FolderBackup) -> dict:
    return {
        "file": str(result.path),
        "ok": result.ok,
        "directory": str(result.path.parent),
        "keep": result.keep,
        "pruned": [str(path) for path in result.pruned],
        "prune_errors": result.prune_errors,
        "copy": result.copy.as_dict() if result.copy else None,
        **result.manifest.as_dict(),
    }
