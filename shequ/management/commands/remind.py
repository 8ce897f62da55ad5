import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from shequ.compliance.reminders import Reminder, reminders_due, reminders_send_due
from shequ.management.arguments import iso_date
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "催报：提醒尚未上报的街镇（截止前 7、3、1 天，每天运行一次，同一天不重复提醒）"
    supports_json = True

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只列出今天要提醒谁，不发送")
        parser.add_argument(
            "--today",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="按该日期计算（默认：今天），用于补发或演练",
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
                            "mail_failures": [
                                {"to": f.recipient, "reason": f.reason} for f in r.mail_failures
                            ],
                        }
                        for r in reminders
                    ],
                }
            )
        else:
            self._print(reminders, dry_run)
        _refuse_unsent(reminders)

    def _print(self, reminders: list[Reminder], dry_run: bool) -> None:
        for r in reminders:
            verb = "将提醒" if dry_run else "未能发送" if r.mail_failures else "已提醒"
            names = "、".join(u.username for u in r.recipients) or "（该街镇没有审核员账号）"
            self.stdout.write(
                f"{verb} {r.street.name} {r.period.label}（{r.days_left_text}）：{names}"
            )
            for failure in r.mail_failures:
                self.stdout.write(f"    邮件未能发给 {failure.recipient}：{failure.reason}")
        self.stdout.write(f"共 {len(reminders)} 个街镇")

    def _today(self, text: str | None) -> datetime.date:
        if not text:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as error:
            raise CommandError(f"--today 日期格式应为 YYYY-MM-DD：{text}") from error


def _refuse_unsent(reminders: list[Reminder]) -> None:
    """A run in which some reminder mail did not leave ends non-zero (cron tells someone),
    saying how many and why."""
    unsent = [r for r in reminders if r.mail_failures]
    if not unsent:
        return
    failures = [f for r in unsent for f in r.mail_failures]
    reasons = "；".join(dict.fromkeys(f.reason for f in failures))
    raise CommandError(
        f"{len(unsent)} 个街镇的催报邮件未能发送（共 {len(failures)} 封）。原因：{reasons}。"
        "站内通知已送达，区级管理员已收到“邮件发送失败”通知；请检查邮件设置（EMAIL_HOST 等），"
        "修复后可在达标看板上对这些街镇点“催报”重发。"
    )
