"""`shequ first-run`: what a new deployment needs before anyone can log in and report
(docs/deployment.md, ADR 0033). Each step looks first and does only what is missing, so a
second run changes nothing and says so."""

import datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from shequ.accounts.models import Role, User
from shequ.accounts.scope import operator_scope
from shequ.accounts.services import generated_password, user_create
from shequ.compliance.notice import NOTICE_STANDARD, NOTICE_TARGETS, notice_targets_create
from shequ.core.errors import DomainError, NotAllowed
from shequ.core.periods import PeriodCode
from shequ.ledger.models import Period
from shequ.ledger.periods import default_deadline
from shequ.management.arguments import iso_date
from shequ.management.base import ShequCommand
from shequ.regions.levels import Level
from shequ.regions.loading import RegionFileError, regions_load, resolve_file
from shequ.regions.models import Region
from shequ.workflow.periods import period_open

DEFAULT_REGION_FILE = "beibei_divisions.csv"


def current_period(today: datetime.date) -> PeriodCode:
    return PeriodCode(today.year, 1 if today.month <= 6 else 2)


def first_deadline(code: PeriodCode, today: datetime.date) -> datetime.date:
    """The notice's deadline, or the last day of the half-year when that has passed (a
    deployment that goes live in November still gets a period it can report in)."""
    deadline = default_deadline(code)
    if deadline >= today:
        return deadline
    return datetime.date(code.year, 6, 30) if code.half == 1 else datetime.date(code.year, 12, 31)


class Command(ShequCommand):
    help = (
        "新部署的首次设置（可重复执行，已有的不变）：建立数据库结构、导入区划、创建区级管理员、"
        "设定通知规定的达标目标、按今天的日期开启当前报告期"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--regions",
            default=DEFAULT_REGION_FILE,
            metavar="FILE",
            help=f"区划文件（默认随系统提供的 {DEFAULT_REGION_FILE}）",
        )
        parser.add_argument("--username", default="admin", help="区级管理员的用户名（默认 admin）")
        parser.add_argument(
            "--password-file",
            metavar="FILE",
            help="从文件第一行读取管理员密码（默认生成一个，只显示这一次）",
        )
        parser.add_argument(
            "--today",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="按该日期确定当前报告期（默认：今天）",
        )
        parser.add_argument(
            "--deadline",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="当前报告期的截止日期（默认上半年 4月30日、下半年 10月30日；已过则为半年末）",
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        if options.get("as_user"):
            raise CommandError("首次设置由命令行操作员执行，不能加 --as")
        today = self._date(options["today"], "--today") or timezone.localdate()
        deadline = self._date(options["deadline"], "--deadline")
        password = self._password(options["password_file"])
        changed = [
            self._migrate(),
            self._regions(options["regions"]),
        ]
        root = Region.objects.get(parent__isnull=True)
        changed += [
            self._admin(root, options["username"], password),
            self._targets(root),
            self._period(today, deadline),
        ]
        if any(changed):
            self.stdout.write(self.style.SUCCESS("首次设置已完成。"))
        else:
            self.stdout.write("各项均已设置过，本次没有任何改动。")

    # ------------------------------------------------------------------ the steps

    def _migrate(self) -> bool:
        self.stdout.write("① 数据库结构 …")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending:
            self.stdout.write("   已是最新，未改动")
            return False
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"   已执行 {len(pending)} 个迁移")
        return True

    def _regions(self, name: str) -> bool:
        self.stdout.write("② 区划 …")
        root = Region.objects.filter(parent__isnull=True).first()
        if root is not None:
            self.stdout.write(
                f"   已有区划树（{root.name}），未重新导入；新版区划代码用 "
                "shequ load-regions --effective 导入"
            )
            return False
        try:
            report = regions_load(paths=[resolve_file(name)], actor=operator_scope().actor)
        except RegionFileError as error:
            raise CommandError(f"区划文件未导入，未写入任何数据：\n{error}") from error
        self.stdout.write(
            f"   已导入 {report.root.name}：街镇 {report.total(Level.STREET)} 个，"
            f"社区/村 {report.total(Level.COMMUNITY)} 个"
        )
        return True

    def _admin(self, root: Region, username: str, password: str | None) -> bool:
        self.stdout.write("③ 区级管理员 …")
        admins = User.objects.filter(is_active=True, role=Role.ADMIN, node=root)
        existing = admins.order_by("pk").first()
        if existing is not None:
            self.stdout.write(f"   已有区级管理员 {existing.username}，未新建")
            return False
        generated = password is None
        password = password if password is not None else generated_password()
        try:
            user = user_create(
                scope=operator_scope(),
                username=username,
                password=password,
                node=root,
                role=Role.ADMIN,
            )
        except (DomainError, NotAllowed) as error:
            raise CommandError(f"区级管理员未创建：{error}") from error
        self.stdout.write(f"   已创建区级管理员 {user.username}（{root.name}）")
        if generated:
            self.stdout.write(f"   初始密码（只显示这一次，请登录后修改）：{password}")
        return True

    def _targets(self, root: Region) -> bool:
        self.stdout.write("④ 达标目标 …")
        if not notice_targets_create(root):
            self.stdout.write("   已有达标目标，未改动（在“达标目标”页修改）")
            return False
        years = "，".join(
            f"{year} 年{'起' if year == max(NOTICE_TARGETS) else ''} {share:.0%}"
            for year, share in NOTICE_TARGETS.items()
        )
        self.stdout.write(f"   已按通知设定：{years}（每百户 {NOTICE_STANDARD}㎡）")
        return True

    def _period(self, today: datetime.date, deadline: datetime.date | None) -> bool:
        self.stdout.write("⑤ 报告期 …")
        latest = Period.objects.order_by("-ordinal").first()
        if latest is not None:
            self.stdout.write(
                f"   已有报告期（最近：{latest.label}），未开启新的；"
                "以后各期用 shequ open-period 开启"
            )
            return False
        code = current_period(today)
        report = period_open(
            scope=operator_scope(), code=code, deadline=deadline or first_deadline(code, today)
        )
        period = report.period
        self.stdout.write(
            f"   已开启{period.label}，截止 {period.deadline:%Y-%m-%d}："
            f"台账 {report.rows_created} 行"
        )
        return True

    # ------------------------------------------------------------------ arguments

    def _date(self, text: str | None, option: str) -> datetime.date | None:
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as error:
            raise CommandError(f"{option} 日期格式应为 YYYY-MM-DD：{text}") from error

    def _password(self, path: str | None) -> str | None:
        if path is None:
            return None
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise CommandError(f"无法读取密码文件 {path}：{error.strerror}") from error
        password = lines[0].strip() if lines else ""
        if not password:
            raise CommandError(f"密码文件 {path} 的第一行是空的")
        return password
