"""The audit trail as the 操作记录 page reads it: only the events within the reader's node
(the root also sees the tree-wide ones), searched by who, what and when."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.accounts.models import User
from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode

# What the events are about (`AuditEvent.target_type`), in the clerks' words.
OBJECT_TYPES = {
    "ledger_row": "台账行",
    "submission": "台账上报与审核",
    "period": "报告期",
    "plan": "一社区一方案",
    "street_plan": "街镇实施方案",
    "checklist": "功能设置",
    "asset": "闲置资产",
    "subsidy_budget": "补助资金预算",
    "subsidy_allocation": "补助资金安排",
    "target": "达标目标",
    "region": "区划",
    "user": "用户与登录",
    "api_token": "访问令牌",
}


@dataclass(frozen=True)
class AuditSearch:
    """What the reader asks for; a blank criterion asks nothing."""

    who: str = ""  # part of a username or a full name, or 命令行
    object_type: str = ""  # a key of OBJECT_TYPES
    text: str = ""  # words of the summary or the reason, or the object's id
    period: PeriodCode | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None  # inclusive


def may_read_audit_log(scope: Scope) -> bool:
    """The one answer to "may this user open the 操作记录": the menu offers it by this, the
    page refuses by it."""
    return scope.can(Permission.MANAGE)


def audit_events_visible_to(scope: Scope) -> QuerySet[AuditEvent]:
    """The events about regions within the reader's node; the root's readers also see
    the events about the whole tree (no region path: region loads, periods, settings)."""
    prefix = scope.path_prefix()
    if prefix is None:
        return AuditEvent.objects.none()
    within = Q(region_path__startswith=prefix)
    if scope.is_root:
        within |= Q(region_path="")
    return AuditEvent.objects.filter(within)


def audit_search(events: QuerySet[AuditEvent], search: AuditSearch) -> QuerySet[AuditEvent]:
    """`events` narrowed by every criterion of `search` (all of them must hold)."""
    if search.who:
        events = events.filter(
            Q(actor__icontains=search.who) | Q(user__full_name__icontains=search.who)
        )
    if search.object_type:
        events = events.filter(target_type=search.object_type)
    if search.text:
        events = events.filter(
            Q(summary__icontains=search.text)
            | Q(reason__icontains=search.text)
            | Q(target_id=search.text)
        )
    if search.period is not None:
        events = events.filter(_about_period(search.period))
    if search.since is not None:
        events = events.filter(at__gte=_start_of(search.since))
    if search.until is not None:
        events = events.filter(at__lt=_start_of(search.until + datetime.timedelta(days=1)))
    return events


def _about_period(period: PeriodCode) -> Q:
    """Events about a reporting period: their summary names it (台账修改, 上报, 审核, 退回,
    方案对照, 开启, 关闭: "2026年上半年"), or their object is the period or one of its
    street's ledgers (催报: "2026H1/500109001")."""
    return (
        Q(summary__contains=period.label)
        | Q(target_type="period", target_id=period.code)
        | Q(target_id__startswith=f"{period.code}/")
    )


def _start_of(day: datetime.date) -> datetime.datetime:
    # Bounds on the indexed `at` rather than its date: the index serves the range.
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def object_label(object_type: str) -> str:
    return OBJECT_TYPES.get(object_type, object_type)


def users_visible_to(scope: Scope) -> QuerySet[User]:
    """The users whose names the reader may pick from: those at or below their node."""
    prefix = scope.path_prefix()
    if prefix is None:
        return User.objects.none()
    return User.objects.filter(node__path__startswith=prefix).order_by("username")
