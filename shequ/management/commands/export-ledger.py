from pathlib import Path

from django.core.management.base import CommandError

from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCodeError
from shequ.ledger.blank_template import blank_workbook, community_count, write_blank_csv
from shequ.ledger.export import unit_name
from shequ.ledger.periods import period_by_code
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand
from shequ.regions.names import find_street
from shequ.workflow.ledger_files import ledger_workbook, write_csv


class Command(ShequCommand):
    help = "导出台账：按通知附件格式的 Excel 统计台帐（默认），或用于数据交换的 CSV"

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", type=period_code, required=True, metavar="CODE", help="报告期，如 2022H2"
        )
        parser.add_argument("--street", metavar="NAME|CODE", help="只导出该街镇（默认全区）")
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("-o", "--output", required=True, metavar="PATH", help="输出文件")
        parser.add_argument(
            "--blank",
            action="store_true",
            help="空白导入模板：列出该报告期的社区/村，各项数字留空（CSV 只填社区的标识列）",
        )
        super().add_arguments(parser)

    def handle(self, *args, period, street, format, output, blank, **options):
        scope = self.scope(options)
        try:
            chosen = period_by_code(period)
        except (PeriodCodeError, DomainError) as error:
            raise CommandError(str(error)) from error
        street_region = None
        if street:
            match = find_street(street, within=scope.node)
            if not match.found:
                raise CommandError(match.message())
            street_region = match.region
        path = Path(output)
        if blank:
            return self._blank(scope, chosen, street_region, format, path)
        if format == "csv":
            with path.open("w", encoding="utf-8", newline="") as stream:
                count = write_csv(scope=scope, period=chosen, street=street_region, stream=stream)
            self.stdout.write(f"已导出 {count} 行到 {path}")
            return
        data = ledger_workbook(scope=scope, period=chosen, street=street_region)
        write_xlsx(data, str(path))
        rows = sum(1 for sheet in data.sheets for line in sheet.lines if line.kind == "community")
        state = "" if data.approved else "（含未审核数据）"
        self.stdout.write(f"已导出{data.unit}{chosen.label}台账 {rows} 个社区/村{state}到 {path}")

    def _blank(self, scope, period, street, format: str, path: Path) -> None:
        if format == "csv":
            with path.open("w", encoding="utf-8", newline="") as stream:
                count = write_blank_csv(scope=scope, period=period, street=street, stream=stream)
        else:
            data = blank_workbook(scope=scope, period=period, street=street)
            write_xlsx(data, str(path))
            count = community_count(data)
        unit = unit_name(scope, street)
        self.stdout.write(f"已生成{unit}{period.label}空白导入模板（{count} 个社区/村）到 {path}")
