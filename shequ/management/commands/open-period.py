import datetime

from django.core.management.base import CommandError

from shequ.core.errors import DomainError, NotAllowed
from shequ.core.periods import PeriodCode, PeriodCodeError
from shequ.management.arguments import iso_date, period_code
from shequ.management.base import ShequCommand
from shequ.workflow.periods import period_open


class Command(ShequCommand):
    help = "开启报告期（如 2026H2），并把各社区上期审核通过的数据带入本期草稿"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument(
            "code", type=period_code, metavar="CODE", help="报告期，如 2026H2 或 2026年下半年"
        )
        parser.add_argument(
            "--deadline",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="截止日期（默认上半年 4月30日，下半年 10月30日）",
        )
        super().add_arguments(parser)

    def handle(self, *args, code, deadline, **options):
        try:
            period_code = PeriodCode.parse(code)
            due = datetime.date.fromisoformat(deadline) if deadline else None
        except (PeriodCodeError, ValueError) as error:
            raise CommandError(f"参数有误：{error}") from error
        try:
            report = period_open(scope=self.scope(options), code=period_code, deadline=due)
        except (DomainError, NotAllowed) as error:
            raise CommandError(str(error)) from error
        period = report.period
        if options["json"]:
            self.print_json(
                {
                    "period": period.code,
                    "deadline": period.deadline.isoformat(),
                    "state": period.state,
                    "created": report.created,
                    "reopened": report.reopened,
                    "rows_created": report.rows_created,
                    "rows_carried": report.rows_carried,
                    "submissions_created": report.submissions_created,
                }
            )
            return
        if report.created:
            self.stdout.write(
                f"已开启{period.label}，截止 {period.deadline:%Y-%m-%d}："
                f"台账 {report.rows_created} 行，其中沿用上期审核数 {report.rows_carried} 行；"
                f"街镇上报 {report.submissions_created} 个"
            )
        elif report.reopened:
            self.stdout.write(f"{period.label}已重新开启填报")
        else:
            self.stdout.write(f"{period.label}已在填报中")
        if not report.created and report.rows_created:
            self.stdout.write(f"补建新社区/村的台账 {report.rows_created} 行")
