import sys
from pathlib import Path

from django.core.management.base import CommandError

from shequ.accounts.roles import Permission
from shequ.core.periods import PeriodCode, PeriodCodeError
from shequ.management.arguments import period_code
from shequ.management.base import ShequCommand
from shequ.regions.edition_report import (
    EditionReport,
    edition_document,
    edition_summary,
    refused_document,
)
from shequ.regions.editions import edition_diff
from shequ.regions.levels import Level
from shequ.regions.loading import RegionFileError, regions_load, resolve_file
from shequ.regions.successions import plan_successions, read_successions
from shequ.workflow.region_editions import EditionRefused, edition_apply

EXIT_PROBLEMS, EXIT_REFUSED = 1, 2


class Command(ShequCommand):
    help = (
        "导入统计用区划代码文件（CSV：code,name,level,parent_code,urban_rural_code,source_year）。"
        "带 --effective 时文件是新版区划代码：与区划树比较，列出新增、消失、更名、调整上级、"
        "调整类别；默认只预览不写入，--apply 全部写入或全部不写入；消失的代码须在 --successions "
        "文件中给出承继。退出码：0 无问题（已预览或已写入），1 有问题未写入，2 文件无法读取"
    )
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="+",
            metavar="FILE",
            help="区划文件路径；也可写随系统提供的文件名，如 beibei_divisions.csv",
        )
        parser.add_argument(
            "--effective",
            type=period_code,
            metavar="PERIOD",
            help="新版区划代码自该报告期起生效，如 2027H1 或 2027年上半年",
        )
        parser.add_argument(
            "--successions",
            metavar="FILE",
            help="消失代码的承继（CSV：old_code,new_codes,kind；kind 为 merge/split/rename）",
        )
        parser.add_argument("--apply", action="store_true", help="写入（默认只预览）")
        parser.add_argument("--reason", default="", help="调整依据，记入操作记录")
        super().add_arguments(parser)

    def handle(self, *args, files, effective, successions, apply, reason, **options):
        scope = self.scope(options)
        if not scope.can(Permission.MANAGE):
            raise CommandError("只有管理员可以导入区划")
        if effective is None:
            if successions or apply:
                raise CommandError(
                    "--successions 和 --apply 只用于新版区划代码，须同时给出 --effective"
                )
            return self._first_load(scope, files, options)
        try:
            period = PeriodCode.parse(effective)
        except PeriodCodeError as error:
            raise CommandError(str(error)) from error
        return self._edition(scope, files, period, successions, apply, reason, options)

    def _first_load(self, scope, files, options):
        try:
            paths = [resolve_file(name) for name in files]
            report = regions_load(paths=paths, actor=scope.actor)
        except RegionFileError as error:
            if options["json"]:
                self.print_json(
                    {
                        "changed": False,
                        "problems": [
                            {"where": p.where, "message": p.message} for p in error.problems
                        ],
                    }
                )
            raise CommandError("区划文件未导入，未写入任何数据：\n" + str(error)) from error
        if options["json"]:
            self.print_json({"changed": report.changed_anything, **report.as_dict()})
            return
        for level in Level:
            created, unchanged = report.created[level], report.unchanged[level]
            if created or unchanged:
                self.stdout.write(f"{level.label}：新增 {created}，已存在未变 {unchanged}")
        if report.changed_anything:
            self.stdout.write(self.style.SUCCESS(f"区划已导入，根节点：{report.root.name}"))
        else:
            self.stdout.write("区划已是最新，没有任何变化")

    def _edition(self, scope, files, period, successions, apply, reason, options):
        try:
            paths = [resolve_file(name) for name in files]
            succession_path = Path(successions) if successions else None
            lines = read_successions(succession_path) if succession_path else ([], [])
        except RegionFileError as error:
            return self._refused(options, period, error)
        diff = edition_diff(paths)
        report = EditionReport(
            period, diff, successions_file=succession_path.name if succession_path else None
        )
        if diff.problems:
            return self._report(options, report, apply)
        report.successions = plan_successions(diff, lines[0])
        report.successions.problems[:0] = lines[1]
        if report.ok:
            self._apply(scope, report, apply, reason)
        return self._report(options, report, apply)

    def _apply(self, scope, report: EditionReport, apply: bool, reason: str) -> None:
        assert report.successions is not None
        try:
            applied = edition_apply(
                scope=scope,
                diff=report.diff,
                successions=report.successions,
                effective=report.effective,
                reason=reason,
                commit=apply,
            )
        except EditionRefused as refused:
            report.refusals.append(refused.problem)
            return
        report.applied = apply
        report.changes = applied.summaries

    def _report(self, options, report: EditionReport, apply: bool):
        if options["json"]:
            self.print_json(edition_document(report))
        else:
            self.stdout.write("\n".join(edition_summary(report)))
            self._verdict(report, apply)
        if not report.ok:
            sys.exit(EXIT_PROBLEMS)

    def _verdict(self, report: EditionReport, apply: bool) -> None:
        if not report.ok:
            self.stdout.write(self.style.ERROR("有问题，未写入任何数据"))
        elif not report.changes:
            self.stdout.write("区划树与新版区划代码一致，没有需要写入的调整")
        elif report.applied:
            self.stdout.write(self.style.SUCCESS("新版区划代码已全部写入"))
        else:
            self.stdout.write("这是预览，没有写入；确认无误后加 --apply 写入")

    def _refused(self, options, period: PeriodCode, error: RegionFileError):
        if options["json"]:
            self.print_json(refused_document(period, error.problems))
        else:
            self.stderr.write("文件无法读取，未写入任何数据：\n" + str(error))
        sys.exit(EXIT_REFUSED)
