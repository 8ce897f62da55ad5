import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from shequ.compliance.reminders import reminders_due, reminders_send_due
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "催报：提醒尚未上报的街镇（截止前 7、3、1 天，每天运行一次，同一天不重复提醒）"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只列出今天要提醒谁，不发送")
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="按该日期计算（默认：今天），用于补发或演练"
        )
        super().add_arguments(parser)

    def handle(self, *args, **options):
        scope = self.scope(options)
        if not scope.is_operator:
            raise CommandError("催报由命令行操作员（定时任务）运行")
        today = self._today(options.get("today"))
        dry_run = options["dry_run"]
        reminders = reminders_due(today) if dry_run else reminders_send_due(scope, today)
        if options["json"]:
            self.print_json(
                {
                    "day": today.isoformat(),
                    "dry_run": options["dry_run"],
                    "reminders": [
                        {
                            "period": r.period.code,
                            "street": {"code": r.street.code, "name": r.street.name},
                            "deadline": r.deadline.isoformat(),
                            "days_left": r.days_left,
                            "recipients": [u.username for u in r.recipients],
                        }
                        for r in reminders
                    ],
                }
            )
            return
        verb = "将提醒" if options["dry_run"] else "已提醒"
        for r in reminders:
            names = "、".join(u.username for u in r.recipients) or "（该街镇没有审核员账号）"
            self.stdout.write(
                f"{verb} {r.street.name} {r.period.label}（{r.days_left_text}）：{names}"
            )
        self.stdout.write(f"共 {len(reminders)} 个街镇")

    def _today(self, text: str | None) -> datetime.date:
        if not text:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as error:
            raise CommandError(f"--today 日期格式应为 YYYY-MM-DD：{text}") from error
