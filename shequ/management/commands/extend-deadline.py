import datetime

from django.core.management.base import CommandError

from shequ.core.errors import DomainError, NotAllowed
from shequ.core.periods import PeriodCodeError
from shequ.ledger.periods import period_by_code, period_extend
from shequ.management.arguments import iso_date, period_code
from shequ.management.base import ShequCommand
from shequ.regions.names import find_street


class Command(ShequCommand):
    help = "为某街镇延长本期上报截止日期（须写明原因）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", type=period_code, required=True, metavar="CODE", help="报告期，如 2026H2"
        )
        parser.add_argument("--street", required=True, metavar="NAME|CODE", help="街镇名称或代码")
        parser.add_argument(
            "--until", type=iso_date, required=True, metavar="YYYY-MM-DD", help="延期至"
        )
        parser.add_argument("--reason", required=True, help="延期原因")
        super().add_arguments(parser)

    def handle(self, *args, period, street, until, reason, **options):
        scope = self.scope(options)
        try:
            deadline = datetime.date.fromisoformat(until)
        except ValueError as error:
            raise CommandError(f"日期“{until}”格式不对，应为 YYYY-MM-DD") from error
        match = find_street(street, within=scope.node)
        if not match.found:
            raise CommandError(match.message())
        try:
            extension = period_extend(
                scope=scope,
                period=period_by_code(period),
                street=match.region,
                deadline=deadline,
                reason=reason,
            )
        except (PeriodCodeError, DomainError, NotAllowed) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{match.region.name}{extension.period.label}截止日期延至 {extension.deadline:%Y-%m-%d}"
        )
