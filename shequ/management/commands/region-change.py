from typing import NoReturn

from django.core.management.base import CommandError
from django.db import transaction

from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.periods import PeriodCode, PeriodCodeError
from shequ.management.base import ShequCommand
from shequ.regions.changes import RegionChangeError
from shequ.regions.levels import Kind, UrbanRural
from shequ.regions.models import Region
from shequ.workflow import region_changes

REFUSALS = (DomainError, RegionChangeError, NotAllowed, OutOfScope)
CLASSES = {value: value for value in UrbanRural.values} | {
    label: value for value, label in UrbanRural.choices
}
KINDS = {
    Kind.NEIGHBOURHOOD: Kind.NEIGHBOURHOOD,
    Kind.VILLAGE: Kind.VILLAGE,
    "社区": Kind.NEIGHBOURHOOD,
    "村": Kind.VILLAGE,
}


class Command(ShequCommand):
    help = (
        "区划调整（与“区划调整”页面相同的服务：台账、方案、统计随之调整）："
        "merge 合并、split 拆分、rename 更名、move 调整隶属、reclassify 调整类别、"
        "deactivate 撤销。默认只预览（实际执行后回滚），--apply 才写入；"
        "退出码：0 已预览或已写入，1 被拒绝，未写入"
    )
    supports_json = True

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        merge = self._action(
            actions, "merge", "合并社区/村：并入新社区（--code --name）或已有社区（--into）"
        )
        merge.add_argument("codes", nargs="+", metavar="CODE", help="被合并的社区/村代码")
        merge.add_argument("--code", metavar="NEW", help="合并后新社区的代码")
        merge.add_argument("--name", help="合并后新社区的名称")
        merge.add_argument(
            "--parent", metavar="STREETCODE", help="新社区所属街镇（默认第一个原社区的街镇）"
        )
        merge.add_argument("--into", metavar="CODE", help="并入的已有社区（保留）")
        merge.add_argument(
            "--close-plans", action="store_true", help="原社区在实施的方案终止，不转入"
        )
        split = self._action(actions, "split", "拆分社区/村")
        split.add_argument("code", metavar="CODE")
        split.add_argument(
            "--part",
            action="append",
            required=True,
            metavar="CODE:NAME",
            help="拆分出的社区，可写多次",
        )
        plans = split.add_mutually_exclusive_group()
        plans.add_argument("--plan-to", metavar="CODE", help="原社区的方案转给拆分出的这个社区")
        plans.add_argument("--close-plans", action="store_true", help="原社区在实施的方案终止")
        rename = self._action(actions, "rename", "更名")
        rename.add_argument("code", metavar="CODE")
        rename.add_argument("--name", required=True)
        move = self._action(actions, "move", "调整隶属（移到另一个街镇）")
        move.add_argument("code", metavar="CODE")
        move.add_argument("--parent", required=True, metavar="STREETCODE")
        reclassify = self._action(actions, "reclassify", "调整城乡类别或类型（村改居）")
        reclassify.add_argument("code", metavar="CODE")
        reclassify.add_argument(
            "--class", dest="urban_rural_class", metavar="urban|rural|城市社区|农村社区"
        )
        reclassify.add_argument("--kind", metavar="neighbourhood|village|社区|村")
        deactivate = self._action(actions, "deactivate", "撤销（没有承继；须写原因）")
        deactivate.add_argument("code", metavar="CODE")

    def _action(self, actions, name: str, help_text: str):
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--effective", required=True, metavar="PERIOD", help="自该报告期起生效，如 2027H1"
        )
        sub.add_argument(
            "--reason", default="", required=name == "deactivate", help="调整依据，记入操作记录"
        )
        sub.add_argument("--apply", action="store_true", help="写入（默认只预览，不写入）")
        ShequCommand.add_arguments(self, sub)  # --as and --json on each action
        return sub

    def handle(self, *args, action, apply, **options):
        try:
            scope = self.scope(options)
            effective = self._period(options["effective"])
            with transaction.atomic():
                report = getattr(self, f"_{action}")(
                    scope=scope, effective=effective, options=options
                )
                if not apply:
                    transaction.set_rollback(True)
        except REFUSALS as error:
            message = getattr(error, "message", None) or str(error)
            self._refused(action, options, f"未调整：{message}", getattr(error, "field", None))
        except CommandError as error:
            self._refused(action, options, str(error), None)
        self._report(action, effective, apply, options, report)

    def _period(self, text: str) -> PeriodCode:
        try:
            return PeriodCode.parse(text)
        except PeriodCodeError as error:
            raise CommandError(str(error)) from error

    def _report(self, action, effective, apply, options, report) -> None:
        if options["json"]:
            self.print_json(
                {
                    "action": action,
                    "effective": effective.code,
                    "applied": apply,
                    "ok": True,
                    "message": report.summary,
                    "report": report.as_json(),
                }
            )
            return
        self.stdout.write(report.summary)
        if apply:
            self.stdout.write(self.style.SUCCESS("已写入"))
        else:
            self.stdout.write("这是预览，没有写入；确认无误后加 --apply 写入")

    def _refused(self, action, options, message: str, field: str | None) -> NoReturn:
        """Nothing written: under --json the one document says why, and so does stderr."""
        if options["json"]:
            self.print_json(
                {
                    "action": action,
                    "effective": options["effective"],
                    "applied": False,
                    "ok": False,
                    "message": message,
                    "field": field,
                }
            )
        raise CommandError(message)

    # The actions: each turns its options into the service's arguments.

    def _merge(self, *, scope, effective, options):
        into, code, name = options["into"], options["code"], options["name"]
        if bool(into) == bool(code or name):
            raise CommandError("合并请给出 --into 已有社区，或 --code 和 --name 新社区，二者选一")
        if code and not name:
            raise CommandError("合并为新社区时须给出 --name")
        if into and options["parent"]:
            raise CommandError("--parent 只用于合并为新社区")
        return region_changes.change_merge(
            scope=scope,
            sources=[region(c) for c in options["codes"]],
            effective=effective,
            code=code,
            name=name,
            into=region(into) if into else None,
            parent=region(options["parent"]) if options["parent"] else None,
            reason=options["reason"],
            close_plans=options["close_plans"],
        )

    def _split(self, *, scope, effective, options):
        return region_changes.change_split(
            scope=scope,
            source=region(options["code"]),
            parts=[part_of(text) for text in options["part"]],
            effective=effective,
            reason=options["reason"],
            plan_to=options["plan_to"],
            close_plans=options["close_plans"],
        )

    def _rename(self, *, scope, effective, options):
        return region_changes.change_rename(
            scope=scope,
            region=region(options["code"]),
            name=options["name"],
            effective=effective,
            reason=options["reason"],
        )

    def _move(self, *, scope, effective, options):
        return region_changes.change_move(
            scope=scope,
            region=region(options["code"]),
            new_parent=region(options["parent"]),
            effective=effective,
            reason=options["reason"],
        )

    def _reclassify(self, *, scope, effective, options):
        urban_rural_class, kind = options["urban_rural_class"], options["kind"]
        if not (urban_rural_class or kind):
            raise CommandError("请给出 --class 或 --kind")
        return region_changes.change_reclassify(
            scope=scope,
            region=region(options["code"]),
            effective=effective,
            urban_rural_class=choice(
                CLASSES, urban_rural_class, "城乡类别", "urban、rural、城市社区或农村社区"
            ),
            kind=choice(KINDS, kind, "类型", "neighbourhood、village、社区或村"),
            reason=options["reason"],
        )

    def _deactivate(self, *, scope, effective, options):
        return region_changes.change_deactivate(
            scope=scope,
            region=region(options["code"]),
            effective=effective,
            reason=options["reason"],
        )


def region(code: str) -> Region:
    found = Region.objects.filter(code=(code or "").strip()).first()
    if found is None:
        raise CommandError(f"区划代码“{code}”不存在")
    return found


def part_of(text: str) -> tuple[str, str]:
    code, _, name = text.partition(":")
    if not name.strip():
        code, _, name = text.partition("：")
    if not code.strip() or not name.strip():
        raise CommandError(f"--part “{text}”应写成 代码:名称")
    return code.strip(), name.strip()


def choice(values: dict, text: str | None, what: str, expected: str) -> str | None:
    if not text:
        return None
    if text not in values:
        raise CommandError(f"{what}“{text}”无法识别，应为 {expected}")
    return values[text]
