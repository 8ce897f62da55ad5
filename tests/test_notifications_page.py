"""The 通知 page (issue 21, item 7a): 20 a page, unread first, filtered by kind, the page
and the filter kept in the links; a notification is read when opened, never by being
listed; nobody reaches anyone else's, whatever the parameters."""

import pytest
from django.utils import timezone

from shequ.core.models import Notification

Kind = Notification.Kind


def send(user, count: int, kind: str, *, read: bool = False, text: str = "通知"):
    Notification.objects.bulk_create(
        Notification(
            user=user,
            kind=kind,
            message=f"{text}{n}",
            url="/plans/",
            read_at=timezone.now() if read else None,
        )
        for n in range(count)
    )


@pytest.fixture
def tiansheng_inbox(tiansheng_editor):
    """30 old read approvals, then 3 unread returns and 2 unread reminders."""
    send(tiansheng_editor, 30, Kind.APPROVED, read=True, text="天生已审核")
    send(tiansheng_editor, 3, Kind.RETURNED, text="天生被退回")
    send(tiansheng_editor, 2, Kind.REMINDER, text="天生催报")
    return tiansheng_editor


@pytest.fixture
def chengjiang_inbox(chengjiang_editor):
    send(chengjiang_editor, 4, Kind.RETURNED, text="澄江被退回")
    send(chengjiang_editor, 2, Kind.APPROVED, text="澄江已审核")
    return chengjiang_editor


def test_twenty_a_page_unread_first(login, tiansheng_inbox):
    response = login(tiansheng_inbox).get("/notifications/")
    body = response.content.decode()
    items = list(response.context["page"])
    assert len(items) == 20
    assert [n.read_at is None for n in items[:5]] == [True] * 5
    assert all(n.read_at is not None for n in items[5:])
    assert "第 1 / 2 页，共 35 条" in body
    assert body.count('me-1">未读</span>') == 5


def test_listing_does_not_mark_anything_read(login, tiansheng_inbox):
    client = login(tiansheng_inbox)
    client.get("/notifications/")
    client.get("/notifications/?page=2")
    assert tiansheng_inbox.notifications.filter(read_at__isnull=True).count() == 5


def test_the_kind_filter_and_its_counts(login, tiansheng_inbox):
    response = login(tiansheng_inbox).get("/notifications/?kind=returned")
    body = response.content.decode()
    assert {n.kind for n in response.context["page"]} == {Kind.RETURNED}
    tabs = {tab.kind: (tab.total, tab.unread) for tab in response.context["tabs"]}
    assert tabs == {"": (35, 5), "approved": (30, 0), "returned": (3, 3), "reminder": (2, 2)}
    assert "全部标为已读（3 条）" in body


def test_the_filter_is_kept_in_the_page_links(login, tiansheng_editor):
    send(tiansheng_editor, 45, Kind.APPROVED)
    send(tiansheng_editor, 5, Kind.RETURNED)
    body = login(tiansheng_editor).get("/notifications/?kind=approved&page=2").content.decode()
    assert "第 2 / 3 页，共 45 条" in body
    assert 'href="?kind=approved&amp;page=3"' in body
    assert 'href="?kind=approved&amp;page=1"' in body


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", ""])
def test_a_page_number_that_is_none_gives_the_nearest_page(login, tiansheng_inbox, page):
    response = login(tiansheng_inbox).get(f"/notifications/?page={page}")
    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)


def test_an_unknown_kind_says_so_and_lists_everything(login, tiansheng_inbox):
    response = login(tiansheng_inbox).get("/notifications/?kind=<script>")
    body = response.content.decode()
    assert response.status_code == 200
    assert "没有这一类通知，下面列出全部通知" in body
    assert response.context["page"].paginator.count == 35
    assert "<script>" not in body


def test_opening_a_notification_reads_it_and_follows_its_link(login, tiansheng_inbox):
    unread = tiansheng_inbox.notifications.filter(read_at__isnull=True).first()
    response = login(tiansheng_inbox).get(f"/notifications/{unread.pk}/")
    assert response.status_code == 302 and response["Location"] == "/plans/"
    unread.refresh_from_db()
    assert unread.read_at is not None


def test_a_link_elsewhere_is_not_followed(login, tiansheng_editor):
    note = Notification.objects.create(
        user=tiansheng_editor, message="外链", url="https://evil.example/"
    )
    response = login(tiansheng_editor).get(f"/notifications/{note.pk}/")
    assert response["Location"] == "/notifications/"


def test_mark_all_read_marks_only_that_kind(login, tiansheng_inbox):
    client = login(tiansheng_inbox)
    response = client.post("/notifications/read/", {"kind": "returned"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?kind=returned"
    unread = tiansheng_inbox.notifications.filter(read_at__isnull=True)
    assert list(unread.values_list("kind", flat=True)) == [Kind.REMINDER] * 2
    assert "已将 3 条通知标为已读" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "query", ["", "?kind=returned", "?kind=approved&page=2", "?kind=reminder", "?page=99999"]
)
def test_another_streets_notifications_are_never_listed(
    login, tiansheng_inbox, chengjiang_inbox, query
):
    body = login(tiansheng_inbox).get(f"/notifications/{query}").content.decode()
    assert "澄江" not in body


def test_another_users_notification_cannot_be_opened_or_marked(
    login, tiansheng_inbox, chengjiang_inbox
):
    theirs = chengjiang_inbox.notifications.first()
    client = login(tiansheng_inbox)
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    client.post("/notifications/read/", {"kind": ""})
    assert chengjiang_inbox.notifications.filter(read_at__isnull=True).count() == 6


def test_the_submission_steps_and_reminders_send_their_kind(
    beibei, tiansheng_approver, district_approver
):
    from shequ.accounts.scope import scope_for
    from shequ.workflow.submissions import submission_return, submission_submit

    from .ledger_helpers import fill_street, open_period, submission

    period = open_period("2026H2")
    fill_street(period, "500109001")
    submission_submit(
        scope=scope_for(tiansheng_approver), submission=submission(period, "500109001")
    )
    submission_return(
        scope=scope_for(district_approver),
        submission=submission(period, "500109001"),
        reason="户数有误",
    )
    assert list(district_approver.notifications.values_list("kind", flat=True)) == ["submitted"]
    assert list(tiansheng_approver.notifications.values_list("kind", flat=True)) == ["returned"]
