from pathlib import Path

from django.core.management.base import CommandError

from shequ.core.backup import BackupError, backup_create
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = (
        "备份数据库和全部上传文件到一个文件（系统运行中也可执行，取得一致的快照）；"
        "文件内附清单：各表行数和校验和、各文件的 SHA-256"
    )
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="备份文件")
        super().add_arguments(parser)

    def handle(self, *args, output, **options):
        progress = self.stderr.write
        try:
            manifest = backup_create(output=Path(output), progress=progress)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(total.rows for total in manifest.tables.values())
        if options["json"]:
            self.print_json({"file": str(Path(output).resolve()), **manifest.as_dict()})
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {output}：{len(manifest.tables)} 张表 {rows} 行，"
                f"{len(manifest.files)} 个文件（{manifest.vendor}，{manifest.created_at}）"
            )
        )
