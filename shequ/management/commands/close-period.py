from django.core.management.base import CommandError

from shequ.core.errors import DomainError, NotAllowed
from shequ.core.periods import PeriodCodeError
from shequ.ledger.periods import period_by_code, period_close
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "关闭报告期：不再填报和上报（已上报的仍可审核）"

    def add_arguments(self, parser):
        parser.add_argument("code", type=period_code, metavar="CODE", help="报告期，如 2026H1")
        super().add_arguments(parser)

    def handle(self, *args, code, **options):
        try:
            period = period_close(scope=self.scope(options), period=period_by_code(code))
        except (PeriodCodeError, DomainError, NotAllowed) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"已关闭{period.label}")
