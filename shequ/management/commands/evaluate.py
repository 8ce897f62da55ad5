from pathlib import Path

from django.core.management.base import CommandError

from shequ.compliance.summary import percent, summary_region
from shequ.core.errors import DomainError
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate
from shequ.management.arguments import year
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "年度评估：各街镇和全区的达标、目标完成、销号、实施方案、按时上报和功能设置情况"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("--year", type=year, required=True, metavar="YYYY", help="评估年度")
        parser.add_argument(
            "--region", metavar="CODE", help="区划代码（默认：本人所在区划；命令行为最上级）"
        )
        parser.add_argument("-o", dest="docx", metavar="FILE.docx", help="写出 Word 评估报告")
        parser.add_argument("--xlsx", metavar="FILE", help="写出评估表（Excel）")
        parser.add_argument("--pdf", metavar="FILE", help="写出 PDF 评估报告（字体已嵌入）")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        scope = self.scope(options)
        try:
            region = summary_region(scope, options.get("region"))
            result = evaluate(scope=scope, year=options["year"], region=region)
        except DomainError as error:
            raise CommandError(str(error)) from error
        documents = evaluation_documents(result)
        written = []
        if options.get("docx"):
            Path(options["docx"]).write_bytes(documents.docx())
            written.append(options["docx"])
        if options.get("pdf"):
            try:
                Path(options["pdf"]).write_bytes(documents.pdf())
            except DomainError as error:
                raise CommandError(str(error)) from error
            written.append(options["pdf"])
        if options.get("xlsx"):
            Path(options["xlsx"]).write_bytes(documents.xlsx())
            written.append(options["xlsx"])
        if options["json"]:
            self.print_json(documents.as_json())
        else:
            self._print(result)
        for path in written:
            self.say(options, f"已写出 {path}")

    def _print(self, result) -> None:
        total = result.total
        self.stdout.write(
            f"{result.region.name}{result.year}年评估（依据{result.period.label}审核台账）："
            f"社区 {total.communities}，达标 {total.compliant}，达标率 {percent(total.rate)}"
        )
        for row in result.rows:
            met = "—" if row.met is None else ("完成" if row.met else "未完成")
            self.stdout.write(
                f"{row.name}\t达标率 {percent(row.rate)}\t目标{met}\t销号 {row.closed_plans}\t"
                f"按时上报 {row.on_time}/{row.submissions}"
            )
