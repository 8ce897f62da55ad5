from django.core.management.base import CommandError

from shequ.compliance.summary import Unit, percent, summary, summary_region
from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCodeError
from shequ.ledger.periods import period_by_code
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "达标情况汇总：一个区划及其下一级在某报告期的达标数、达标率和距目标差距"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", type=period_code, required=True, metavar="CODE", help="报告期，如 2026H2"
        )
        parser.add_argument(
            "--region",
            metavar="CODE",
            help="区划代码（默认：本人所在区划；命令行操作员为最上级）",
        )
        parser.add_argument(
            "--include-unapproved",
            action="store_true",
            help="也计入未审核的台账（默认只计已审核的）",
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        scope = self.scope(options)
        try:
            period = period_by_code(options["period"])
            region = summary_region(scope, options.get("region"))
            result = summary(
                scope=scope,
                period=period,
                region=region,
                include_unapproved=options["include_unapproved"],
            )
        except (PeriodCodeError, DomainError) as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            self.print_json(result.as_json())
            return
        basis = "已审核台账" if result.approved_only else "全部台账（含未审核）"
        target = "未设定" if result.target is None else percent(float(result.target))
        self.stdout.write(
            f"{result.total.name} {period.label} 达标情况（{basis}；"
            f"标准每百户 {result.standard}㎡，目标 {target}）"
        )
        for unit in [*result.children, result.total]:
            self.stdout.write(self._line(unit, unit is result.total))

    def _line(self, unit: Unit, is_total: bool) -> str:
        f = unit.figures
        needed = unit.needed_for_target
        need = "" if needed is None else ("已达目标" if needed == 0 else f"还需 {needed} 个")
        name = "合计" if is_total else unit.name
        return (
            f"{name}\t社区 {f.communities}\t已审核 {f.reported}\t达标 {f.compliant}\t"
            f"达标率 {percent(unit.rate)}\t尚缺 {f.shortfall_m2}㎡\t{need}"
        ).rstrip()
