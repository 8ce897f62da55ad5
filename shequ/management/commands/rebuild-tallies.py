from django.core.management.base import CommandError

from shequ.compliance.tallies import tallies_rebuild
from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCodeError
from shequ.ledger.models import Period
from shequ.ledger.periods import period_by_code
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "按台账重新计算各区划的达标统计（看板读取的汇总表）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", type=period_code, metavar="CODE", help="只重算该报告期（默认：全部）"
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        if not self.scope(options).is_operator:
            raise CommandError("只有命令行操作员可以重算达标统计")
        try:
            periods = (
                [period_by_code(options["period"])]
                if options.get("period")
                else list(Period.objects.order_by("ordinal"))
            )
        except (PeriodCodeError, DomainError) as error:
            raise CommandError(str(error)) from error
        for period in periods:
            count = tallies_rebuild(period)
            self.stdout.write(f"{period.label}：已重算 {count} 个区划")
