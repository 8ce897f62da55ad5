from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shequ.accounts.demo import DEMO_PASSWORD, demo_accounts_create
from shequ.checklist.demo import demo_checklist_build
from shequ.compliance.demo import demo_targets_create
from shequ.core.actors import Actor
from shequ.core.settings_store import DEMO_FLAG, setting_set
from shequ.management.parser import make_chinese
from shequ.plans.demo import DEMO_YEAR, DemoPlanBuilder
from shequ.regions.levels import Level
from shequ.regions.loading import RegionFileError, regions_load, resolve_file
from shequ.subsidy.demo import DEMO_BUDGET, DEMO_YEARS, demo_subsidy_create
from shequ.workflow.demo_assets import demo_assets_create
from shequ.workflow.demo_history import demo_history_build

DEMO_REGION_FILE = "beibei_divisions.csv"


class Command(BaseCommand):
    help = "准备北碚区演示环境（可重复执行）：建库、导入区划、创建演示账号，然后启动服务"

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        make_chinese(parser)  # usage errors in Chinese, exit 2 (management.parser)
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")
        parser.add_argument(
            "--addr", default="127.0.0.1:8000", help="服务地址（默认 127.0.0.1:8000）"
        )

    def handle(self, *args, no_serve, addr, **options):
        self.stdout.write("① 建立/升级数据库 …")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("② 导入北碚区区划 …")
        try:
            report = regions_load(
                paths=[resolve_file(DEMO_REGION_FILE)], actor=Actor.command_line()
            )
        except RegionFileError as error:
            raise CommandError(f"演示区划无法导入：\n{error}") from error
        self.stdout.write(
            f"   {report.root.name}：街镇 {report.total(Level.STREET)} 个，"
            f"社区/村 {report.total(Level.COMMUNITY)} 个"
        )
        self.stdout.write("③ 创建演示账号 …")
        with transaction.atomic():
            setting_set(DEMO_FLAG, True)
            accounts, created = demo_accounts_create(report.root)
        self._print_accounts(accounts, created)
        if demo_targets_create(report.root):
            self.stdout.write("   达标目标：2020 年 60%，2021 年 70%，2022 年起 80%（每百户 30㎡）")
        self.stdout.write("④ 生成 2020—2026 年演示台账 …")
        plans = DemoPlanBuilder()
        history = demo_history_build(after_period=plans)
        if history.periods:
            self.stdout.write(
                f"   报告期 {history.periods} 个，台账 {history.rows} 行，"
                f"审核通过 {history.approvals} 次，逾期上报 {history.late} 次，"
                f"退回 {history.returned} 次（均为演示数据）"
            )
        else:
            self.stdout.write("   已有报告期，保持不变")
        if history.periods:
            counts = "、".join(f"{label} {n} 个" for label, n in plans.report.counts().items())
            self.stdout.write(
                f"   一社区一方案：{counts}；街镇 {DEMO_YEAR} 年实施方案 "
                f"{plans.report.street_plans} 份"
            )
        self._subsidy()
        self.stdout.write("⑥ 登记演示闲置资产 …")
        self._print_assets(demo_assets_create())
        self._checklist(report.root)
        if no_serve:
            return
        self.stdout.write(self.style.SUCCESS(f"⑧ 启动服务：http://{addr}/  （Ctrl+C 停止）"))
        call_command("runserver", addr, use_reloader=False)

    def _checklist(self, root) -> None:
        self.stdout.write("⑦ 生成便民服务中心功能设置 …")
        checklist = demo_checklist_build(root)
        if checklist is None:
            self.stdout.write("   已有功能设置，保持不变")
            return
        self.stdout.write(
            f"   社区/村 {checklist.communities} 个，19 项全部设置 {checklist.complete} 个，"
            f"完成度 {checklist.share:.1%}，照片 {checklist.photos} 张（均为演示数据）"
        )

    def _print_assets(self, report) -> None:
        if not report.created:
            self.stdout.write("   已有闲置资产登记，保持不变")
            return
        used = f"，其中 1 处已用于{report.allocated_to}方案的措施" if report.allocated_to else ""
        self.stdout.write(f"   闲置资产 {report.created} 处{used}（均为演示数据）")

    def _subsidy(self) -> None:
        self.stdout.write("⑤ 生成演示补助资金 …")
        subsidy = demo_subsidy_create()
        if subsidy.budgets:
            self.stdout.write(
                f"   {DEMO_YEARS[0]}—{DEMO_YEARS[-1]} 年每年预算 {DEMO_BUDGET:.0f} 万元，"
                f"安排 {subsidy.allocations} 笔，已拨付 {subsidy.paid} 笔（均为演示数据）"
            )
        else:
            self.stdout.write("   已有补助资金预算，保持不变")

    def _print_accounts(self, accounts, created: int) -> None:
        self.stdout.write(
            f"   新建 {created} 个，共 {len(accounts)} 个演示账号，密码均为：{DEMO_PASSWORD}"
        )
        self.stdout.write("   用户名                        区划与角色")
        for account in accounts:
            self.stdout.write(f"   {account.username:<30}{account.description}")
        self.stdout.write(
            self.style.WARNING("   以上为演示账号与演示数据，正式使用前请删除或修改密码。")
        )
