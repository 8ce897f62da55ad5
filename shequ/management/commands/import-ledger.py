import sys
from pathlib import Path

from django.core.management.base import CommandError

from shequ.core.collection import without_cycle_search
from shequ.core.errors import DomainError, NotAllowed
from shequ.core.periods import PeriodCode, PeriodCodeError
from shequ.ledger.importing.apply import import_apply_batches
from shequ.ledger.importing.files import FileRefused, read_named_file
from shequ.ledger.importing.plan import ImportPlan
from shequ.ledger.importing.problems import problem_workbook_bytes, without_problem_list
from shequ.ledger.importing.report import (
    RowsSpool,
    plan_document_bytes,
    plan_summary,
    refused_document,
)
from shequ.ledger.models import Period
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand
from shequ.regions.names import find_street
from shequ.workflow.imports import import_backfill_approved
from shequ.workflow.ledger_files import import_run, plan_import
from shequ.workflow.periods import period_open

EXIT_ERRORS, EXIT_REFUSED = 1, 2


class Command(ShequCommand):
    help = (
        "导入街镇报来的台账（.xlsx/.xls/.csv）。默认只预览不写入；--apply 全部写入或全部不写入；"
        "退出码：0 无错误，1 有错误未写入，2 文件被拒收"
    )
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--period", type=period_code, required=True, metavar="CODE", help="报告期，如 2026H2"
        )
        parser.add_argument(
            "--street", metavar="NAME|CODE", help="文件没有街镇列时指明街镇，并只导入该街镇"
        )
        parser.add_argument("--apply", action="store_true", help="写入（默认只预览）")
        parser.add_argument("--approve", action="store_true", help="导入为已审核（补录历史台账）")
        parser.add_argument("--reason", default="", help="--approve 的依据，作为各条警告的说明")
        parser.add_argument(
            "--problems",
            metavar="OUT.xlsx",
            help="把问题标注文件写到此处：.xlsx 原文件标出问题单元格并加“问题清单”工作表，"
            "其他格式按读到的内容重建",
        )
        super().add_arguments(parser)

    def handle(self, *args, file, period, street, apply, approve, reason, problems, **options):
        scope = self.scope(options)
        path = Path(file)
        try:
            code = PeriodCode.parse(period)
        except PeriodCodeError as error:
            raise CommandError(str(error)) from error
        try:
            sheets = read_named_file(path)
        except FileRefused as error:
            return self._refused(options, path.name, code.code, str(error))
        sheets = without_problem_list(sheets)
        target = self._period(scope, code, approve)
        street_region = self._street(scope, street)
        planning = {"scope": scope, "period": target, "sheets": sheets, "filename": path.name}
        with RowsSpool() as rows:
            try:
                if approve:
                    plan = self._load_approved(planning, street_region, reason)
                else:
                    spool = rows if options["json"] else None
                    plan = self._plan(planning, street_region, apply, spool)
            except FileRefused as error:  # a streamed sheet found unreadable as it was read
                return self._refused(options, path.name, code.code, str(error))
            written_to = ""
            if problems:
                # Written whether or not the import goes ahead: the warnings are marked too.
                written_to = self._write_problems(Path(problems), path, sheets, plan)
            del sheets, planning  # the report needs the plan only
            written = plan.ok and (apply or approve)
            self._report(options, plan, None if approve else rows, written=written)
        if written_to:
            # Under --json, stdout carries exactly the one JSON document.
            (self.stderr if options["json"] else self.stdout).write(written_to)
        if not plan.ok:
            sys.exit(EXIT_ERRORS)

    @without_cycle_search  # the plan's objects are acyclic, a batch of rows at a time
    def _plan(self, planning: dict, street, apply: bool, rows: RowsSpool | None) -> ImportPlan:
        """The file planned a batch at a time, each batch's rows written to the document's
        spool and, with --apply, to the database (all in one transaction, or nothing), then
        dropped: a country's file never holds all its rows at once."""
        run = import_run(**planning, street=street)
        each = rows.add if rows is not None else _drop
        if apply:
            try:
                import_apply_batches(scope=planning["scope"], run=run, each=each)
            except (DomainError, NotAllowed) as error:
                raise CommandError(str(error)) from error
        else:
            for batch in run.batches():
                each(batch)
        return run.plan

    def _load_approved(self, planning: dict, street, reason: str) -> ImportPlan:
        """Loading history as approved: the file planned whole (each street's ledger is
        approved once all its rows are in), and written only if it has no error."""
        plan = plan_import(**planning, street=street)
        if plan.ok:
            try:
                import_backfill_approved(scope=planning["scope"], plan=plan, reason=reason)
            except (DomainError, NotAllowed) as error:
                raise CommandError(str(error)) from error
        return plan

    def _period(self, scope, code: PeriodCode, approve: bool) -> Period:
        period = Period.objects.filter(ordinal=code.ordinal).first()
        if period is not None:
            return period
        if not approve:
            raise CommandError(f"{code.label}尚未开启")
        try:
            return period_open(scope=scope, code=code).period
        except NotAllowed as error:
            raise CommandError(str(error)) from error

    def _street(self, scope, text: str | None):
        if not text:
            return None
        match = find_street(text, within=scope.node)
        if not match.found:
            raise CommandError(match.message())
        return match.region

    def _write_problems(self, target: Path, source: Path, sheets, plan) -> str:
        """Writes the problem workbook; returns the line that says where it went."""
        try:
            content = source.read_bytes()
        except OSError as error:
            raise CommandError(f"无法再次读取 {source}（{error.strerror or error}）") from error
        try:
            target.write_bytes(problem_workbook_bytes(content, sheets, plan))
        except OSError as error:
            reason = error.strerror or error
            raise CommandError(f"无法写入问题标注文件 {target}（{reason}）") from error
        found = f"{plan.errors.total} 个错误、{plan.warnings.total} 个警告"
        left_out = plan.errors.not_listed.total() + plan.warnings.not_listed.total()
        if left_out:
            found += f"，其中 {left_out:,} 个未逐条列出、所在单元格未标出"
        return f"问题标注文件（{found}）已写到 {target}"

    def _refused(self, options, filename: str, period: str, reason: str):
        if options["json"]:
            self.print_json(refused_document(filename, period, reason))
        else:
            self.stderr.write(f"文件被拒收：{reason}")
        sys.exit(EXIT_REFUSED)

    @without_cycle_search  # the document's dicts are acyclic, a city's rows of them
    def _report(self, options, plan, rows: RowsSpool | None, *, written: bool) -> None:
        if options["json"]:
            self.print_json_bytes(options, plan_document_bytes(plan, rows))
            return
        self.stdout.write("\n".join(plan_summary(plan)))  # one write: a city has 6,000 lines
        if written:
            self.stdout.write(self.style.SUCCESS("已全部写入"))
        elif plan.ok:
            self.stdout.write("这是预览，没有写入；确认无误后加 --apply 写入")
        else:
            self.stdout.write(self.style.ERROR("有错误，未写入任何数据"))


def _drop(rows) -> None:
    """A batch of rows the text report does not list."""
