import sys

from django.core.management.base import CommandError

from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCodeError
from shequ.ledger.fingerprint import ledger_verify
from shequ.ledger.periods import period_by_code
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "核验台账防篡改指纹链：全部一致时退出码 0，发现任何不符时退出码 1 并逐项列出"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", type=period_code, metavar="CODE", help="只核验该报告期（默认全部）"
        )
        super().add_arguments(parser)

    def handle(self, *args, period, **options):
        try:
            only = period_by_code(period) if period else None
        except (PeriodCodeError, DomainError) as error:
            raise CommandError(str(error)) from error
        within = self.scope(options).path_prefix()
        if within is None:
            raise CommandError("该用户没有分配区划")
        report = ledger_verify(only, within=within)
        if options["json"]:
            self.print_json(
                {
                    "ok": report.ok,
                    "chains": report.chains,
                    "versions": report.versions,
                    "ledgers": report.ledgers,
                    "problems": [p.as_dict() for p in report.problems],
                }
            )
        else:
            for problem in report.problems:
                self.stdout.write(str(problem))
            summary = (
                f"核验 {report.chains} 条指纹链、{report.versions} 个审核版本、"
                f"{report.ledgers} 份已审核台账"
            )
            if report.ok:
                self.stdout.write(self.style.SUCCESS(f"{summary}：全部一致"))
            else:
                self.stdout.write(
                    self.style.ERROR(f"{summary}：发现 {len(report.problems)} 处不符")
                )
        if not report.ok:
            sys.exit(1)
