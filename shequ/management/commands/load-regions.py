from django.core.management.base import CommandError

from shequ.accounts.roles import Permission
from shequ.management.base import ShequCommand
from shequ.regions.levels import Level
from shequ.regions.loading import RegionFileError, regions_load, resolve_file


class Command(ShequCommand):
    help = "导入统计用区划代码文件（CSV：code,name,level,parent_code,urban_rural_code,source_year）"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="+",
            metavar="FILE",
            help="区划文件路径；也可写随系统提供的文件名，如 beibei_divisions.csv",
        )
        super().add_arguments(parser)

    def handle(self, *args, files, **options):
        scope = self.scope(options)
        if not scope.can(Permission.MANAGE):
            raise CommandError("只有管理员可以导入区划")
        try:
            paths = [resolve_file(name) for name in files]
            report = regions_load(paths=paths, actor=scope.actor)
        except RegionFileError as error:
            if options["json"]:
                self.print_json(
                    {
                        "changed": False,
                        "problems": [
                            {"where": p.where, "message": p.message} for p in error.problems
                        ],
                    }
                )
            raise CommandError("区划文件未导入，未写入任何数据：\n" + str(error)) from error
        if options["json"]:
            self.print_json({"changed": report.changed_anything, **report.as_dict()})
            return
        for level in Level:
            created, unchanged = report.created[level], report.unchanged[level]
            if created or unchanged:
                self.stdout.write(f"{level.label}：新增 {created}，已存在未变 {unchanged}")
        if report.changed_anything:
            self.stdout.write(self.style.SUCCESS(f"区划已导入，根节点：{report.root.name}"))
        else:
            self.stdout.write("区划已是最新，没有任何变化")
