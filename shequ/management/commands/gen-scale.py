import sys

from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.management.base import ShequCommand
from shequ.regions.levels import Level
from shequ.scale.generate import NATIONAL_DEFAULT, NotEmpty, scale_generate


class Command(ShequCommand):
    help = (
        "向空数据库写入规模测试数据：--city 为重庆市全部村（社区），--national N 为 N 个社区的"
        "模拟全国；2026 年上、下半年台账全部审核通过，并建立达标统计和 admin 账号"
    )
    supports_json = True

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--city", action="store_true", help="重庆市（仓库自带的区划文件）")
        which.add_argument(
            "--national",
            type=int,
            nargs="?",
            const=NATIONAL_DEFAULT,
            metavar="N",
            help=f"模拟全国，N 个社区（默认 {NATIONAL_DEFAULT:,}）",
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        if options.get("as_user"):
            raise CommandError("gen-scale 只能由命令行操作员运行（不带 --as）")
        national = options.get("national")
        if national is not None and national < 1:
            raise CommandError("--national 的社区数应为正整数")
        call_command("migrate", interactive=False, verbosity=0)
        try:
            report = scale_generate(national=national, progress=self._progress)
        except NotEmpty as error:
            raise CommandError(str(error)) from error
        if options.get("json"):
            self.print_json(report.as_json())
            return
        levels = "，".join(f"{Level(lv).label} {n} 个" for lv, n in report.levels.items() if n)
        self.stdout.write(f"{report.root.name}：{levels}")
        self.stdout.write(
            f"报告期 {'、'.join(report.periods)}：台账 {report.rows} 行，"
            f"街镇 {report.streets_approved} 个全部审核通过；达标统计 {report.tallies} 条"
        )
        self.stdout.write("以上均为模拟数据（户数、面积随机生成）。")
        self.stdout.write(f"管理员账号 {report.admin}，密码：{report.password}")

    def _progress(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)
