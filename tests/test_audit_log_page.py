"""The 操作记录 page (issue 21, item 7c): searched by who, object, words, reporting period
and dates, 50 a page with the search kept in the links; wrong values reported in Chinese;
nothing outside the admin's node whatever the search."""

import datetime

import pytest
from django.utils import timezone

from shequ.accounts.audit_log import AuditSearch, audit_events_visible_to, audit_search
from shequ.accounts.models import Role
from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope, scope_for
from shequ.core.actors import Actor
from shequ.core.models import AuditEvent
from shequ.core.periods import PeriodCode

from .conftest import CHENGJIANG, TIANSHENG, region
from .ledger_helpers import open_period

TZ = timezone.get_fixed_timezone(8 * 60)


def event(summary, *, street=None, actor="命令行", user=None, day=(2026, 3, 1), **fields):
    created = AuditEvent.objects.create(
        actor=actor,
        user=user,
        action=fields.pop("action", "test.event"),
        target_type=fields.pop("target_type", "ledger_row"),
        target_id=fields.pop("target_id", "1"),
        region_path=region(street).path if street else "",
        summary=summary,
        **fields,
    )
    at = datetime.datetime(*day, 10, 0, tzinfo=TZ)
    AuditEvent.objects.filter(pk=created.pk).update(at=at)
    return created.summary


@pytest.fixture
def trail(beibei, tiansheng_editor, chengjiang_editor):
    for code in ("2026H1", "2026H2"):
        open_period(code)
    tiansheng_editor.full_name = "张晓燕"
    tiansheng_editor.save()
    return {
        "row": event(
            "修改2026年上半年新星路社区居民委员会：户数 1000 → 1200",
            street=TIANSHENG,
            actor="tiansheng-editor",
            user=tiansheng_editor,
            day=(2026, 3, 1),
        ),
        "returned": event(
            "天生街道2026年上半年台账被退回",
            street=TIANSHENG,
            actor="qu-approver",
            target_type="submission",
            target_id="7",
            reason="户数有误",
            day=(2026, 4, 30),
        ),
        "reminder": event(
            "催报天生街道2026年下半年台账（还有 3 天）",
            street=TIANSHENG,
            target_type="submission",
            target_id=f"2026H2/{TIANSHENG}",
            day=(2026, 10, 27),
        ),
        "other_street": event(
            "修改2026年上半年运河社区居民委员会：户数 800 → 900",
            street=CHENGJIANG,
            actor="chengjiang-editor",
            user=chengjiang_editor,
            day=(2026, 3, 2),
        ),
        "plan": event(
            "运河社区居民委员会方案：开始实施",
            street=CHENGJIANG,
            actor="chengjiang-editor",
            target_type="plan",
            day=(2026, 5, 6),
        ),
        "tree_wide": event("修改系统设置（测试）", target_type="region", day=(2026, 1, 5)),
    }


MARKERS = (
    "新星路社区",
    "被退回",
    "催报",
    "运河社区居民委员会：户数",
    "开始实施",
    "系统设置（测试）",
)


def found(response) -> set[str]:
    """Which of the trail's events the page lists."""
    summaries = [e.summary for e in response.context["page"]]
    return {marker for marker in MARKERS for s in summaries if marker in s}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", set(MARKERS)),
        ("who=tiansheng", {"新星路社区"}),
        ("who=张晓燕", {"新星路社区"}),
        ("who=命令行", {"催报", "系统设置（测试）"}),
        ("object_type=plan", {"开始实施"}),
        ("object_type=submission", {"被退回", "催报"}),
        ("text=户数有误", {"被退回"}),
        ("text=运河", {"运河社区居民委员会：户数", "开始实施"}),
        ("period=2026H1&object_type=ledger_row", {"新星路社区", "运河社区居民委员会：户数"}),
        ("period=2026H2", {"催报"}),
        ("since=2026-03-01&until=2026-03-01", {"新星路社区"}),
        ("since=2026-04-01", {"被退回", "催报", "开始实施"}),
        ("until=2026-03-02&who=editor", {"新星路社区", "运河社区居民委员会：户数"}),
    ],
)
def test_the_search(login, district_admin, trail, query, expected):
    response = login(district_admin).get(f"/audit/?{query}")
    assert response.status_code == 200
    assert found(response) == expected


def test_the_object_is_named_and_the_count_said(login, district_admin, trail):
    body = login(district_admin).get("/audit/?object_type=plan").content.decode()
    assert '<td class="text-nowrap">一社区一方案</td>' in body
    assert "找到 1 条记录" in body


def test_fifty_a_page_with_the_search_kept_in_the_links(login, district_admin, beibei):
    for n in range(60):
        event(f"第{n}条", street=TIANSHENG, actor="tiansheng-editor")
    response = login(district_admin).get("/audit/?who=tiansheng&page=2")
    body = response.content.decode()
    assert len(response.context["page"]) == 10
    assert "第 2 / 2 页，共 60 条" in body
    assert 'href="?who=tiansheng&amp;page=1"' in body


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ("since=yesterday", "开始日期不正确：请按 2026-05-01 的格式填写日期。"),
        ("until=2026-13-45", "结束日期不正确：请按 2026-05-01 的格式填写日期。"),
        ("since=2026-05-01&until=2026-04-01", "结束日期早于开始日期，已不按结束日期查询。"),
        ("period=2099H1", "没有这个报告期，已按全部报告期查询。"),
        ("period=<b>", "没有这个报告期"),
        ("object_type=secrets", "没有这类对象，已按全部对象查询。"),
        ("page=abc", None),
        ("page=99999", None),
        ("page=-3", None),
        ("who=" + "x" * 200, "150"),
    ],
)
def test_wrong_values_are_reported_never_a_500(login, district_admin, trail, query, warning):
    response = login(district_admin).get(f"/audit/?{query}")
    assert response.status_code == 200
    if warning:
        assert warning in response.content.decode()
    assert "<b>" not in response.content.decode()


def test_a_wrong_value_leaves_the_rest_of_the_search(login, district_admin, trail):
    response = login(district_admin).get("/audit/?since=nonsense&object_type=plan")
    assert found(response) == {"开始实施"}


@pytest.mark.parametrize("query", ["", "who=chengjiang", "text=运河", "period=2026H1&page=2"])
def test_street_users_may_not_read_the_trail(login, tiansheng_editor, trail, query):
    response = login(tiansheng_editor).get(f"/audit/?{query}")
    assert response.status_code == 403
    assert "操作记录只有管理员可以查看" in response.content.decode()
    assert "运河" not in response.content.decode()


def below_the_root_admin(user) -> Scope:
    """An administrator of a part of the tree (a county's, in a city's deployment): here
    天生街道's, made by hand since 北碚区 is the demo's root."""
    return Scope(Actor.for_user(user), region(TIANSHENG), frozenset(Permission), Role.ADMIN)


SEARCHES = [
    "",
    "who=chengjiang",
    "who=命令行",
    "text=运河",
    "object_type=plan",
    "object_type=region",
    "period=2026H1",
    "since=2026-01-01&until=2026-12-31",
    "who=editor&page=99999",
]


@pytest.mark.parametrize("query", SEARCHES)
def test_an_admin_below_the_root_sees_only_their_node(
    login, tiansheng_editor, trail, monkeypatch, query
):
    monkeypatch.setattr("shequ.web.views.scope_for", below_the_root_admin)
    response = login(tiansheng_editor).get(f"/audit/?{query}")
    assert response.status_code == 200
    assert found(response) <= {"新星路社区", "被退回", "催报"}
    assert "运河" not in "".join(e.summary for e in response.context["page"])


def test_the_scope_holds_for_every_criterion_together(trail, tiansheng_editor):
    scope = below_the_root_admin(tiansheng_editor)
    search = AuditSearch(
        who="editor",
        object_type="ledger_row",
        text="户数",
        period=PeriodCode(2026, 1),
        since=datetime.date(2026, 1, 1),
        until=datetime.date(2026, 12, 31),
    )
    events = audit_search(audit_events_visible_to(scope), search)
    assert [e.summary for e in events] == [trail["row"]]
    assert not audit_events_visible_to(scope_for(tiansheng_editor)).filter(region_path="")
