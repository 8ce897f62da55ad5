"""`shequ first-run`: a new deployment's district admin, regions, the notice's targets and
the current period, and nothing more on a second run."""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.accounts.models import Role, User
from shequ.compliance.models import Target
from shequ.compliance.notice import NOTICE_TARGETS
from shequ.core.models import AuditEvent
from shequ.ledger.models import LedgerRow, Period
from shequ.regions.models import Region


def first_run(*args: str) -> str:
    out = io.StringIO()
    call_command("first-run", *args, stdout=out)
    return out.getvalue()


def generated_password(output: str) -> str:
    line = next(line for line in output.splitlines() if "初始密码" in line)
    return line.rsplit("：", 1)[1].strip()


def test_it_creates_the_admin_sets_the_notices_targets_and_opens_the_current_period(beibei):
    output = first_run("--today", "2026-03-02")

    admin = User.objects.get(username="admin")
    assert (admin.role, admin.node) == (Role.ADMIN, beibei)
    assert admin.check_password(generated_password(output))
    targets = {t.year: t for t in Target.objects.filter(region=beibei)}
    assert {year: t.share for year, t in targets.items()} == NOTICE_TARGETS
    assert targets[2020].standard == 30
    period = Period.objects.get()
    assert (period.code, period.deadline) == ("2026H1", datetime.date(2026, 4, 30))
    communities = Region.objects.active().communities().within(beibei).count()
    assert LedgerRow.objects.filter(period=period).count() == communities
    assert "已有区划树（北碚区）" in output
    assert "首次设置已完成" in output


def test_a_second_run_changes_nothing_and_says_so(beibei):
    first_run("--today", "2026-03-02")
    events = AuditEvent.objects.count()

    output = first_run("--today", "2026-09-15")

    assert "本次没有任何改动" in output
    assert "已有区级管理员 admin，未新建" in output
    assert "已有达标目标" in output
    assert "已有报告期（最近：2026年上半年）" in output
    assert "初始密码" not in output
    assert AuditEvent.objects.count() == events
    assert Period.objects.count() == 1
    assert User.objects.filter(role=Role.ADMIN).count() == 1


def test_it_takes_the_password_from_a_file_and_prints_none(beibei, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("青山绿水 bureau 2026\n", encoding="utf-8")

    output = first_run("--password-file", str(secret), "--username", "beibei-admin")

    assert User.objects.get(username="beibei-admin").check_password("青山绿水 bureau 2026")
    assert "初始密码" not in output
    assert "青山绿水" not in output


def test_a_weak_password_is_refused_before_targets_or_a_period_are_set(beibei, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("12345678\n", encoding="utf-8")

    with pytest.raises(CommandError, match="区级管理员未创建"):
        first_run("--password-file", str(secret))

    assert not User.objects.filter(username="admin").exists()
    assert not Target.objects.exists()
    assert not Period.objects.exists()


def test_past_the_notices_deadline_the_period_runs_to_the_end_of_the_half_year(beibei):
    first_run("--today", "2026-12-07")

    period = Period.objects.get()
    assert (period.code, period.deadline) == ("2026H2", datetime.date(2026, 12, 31))


def test_a_given_deadline_is_kept(beibei):
    first_run("--today", "2027-01-04", "--deadline", "2027-05-15")

    assert Period.objects.get().deadline == datetime.date(2027, 5, 15)


def test_it_is_the_operators_and_refuses_as(district_admin):
    with pytest.raises(CommandError, match="不能加 --as"):
        first_run("--as", district_admin.username)


def test_on_an_empty_database_it_builds_everything_and_a_second_run_changes_nothing(tmp_path):
    """From nothing, as on a new server: its own process on its own SQLite database."""
    env = {**os.environ, "SHEQU_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    shequ = str(Path(sys.executable).with_name("shequ"))

    def run() -> str:
        result = subprocess.run(
            [shequ, "first-run", "--today", "2026-08-01"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = run()
    assert "已执行" in first
    assert "已导入 北碚区：街镇 17 个，社区/村 192 个" in first
    assert "已开启2026年下半年，截止 2026-10-30：台账 192 行" in first
    assert "初始密码" in first

    second = run()
    assert "已是最新，未改动" in second
    assert second.strip().endswith("各项均已设置过，本次没有任何改动。")
