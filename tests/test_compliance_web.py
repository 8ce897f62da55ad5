"""Dashboards, community page, targets page and reminders, seen from outside: scope, the
fixed number of queries, and reminders sent once."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope, scope_for
from shequ.compliance.models import ReminderSent, Target
from shequ.compliance.reminders import remind_street
from shequ.core.errors import DomainError
from shequ.ledger.rows import rows_bulk_update
from shequ.regions.levels import Kind, Level, UrbanRural
from shequ.regions.models import Region, RegionVersion

from .conftest import PASSWORD, make_user, region
from .ledger_helpers import approve_street, open_period, set_target, street_rows

pytestmark = pytest.mark.django_db

TIANSHENG, TONGJIAXI = "500109001", "500109104"
TONGJIAXI_COMMUNITY = "500109104001"


@pytest.fixture
def period(beibei):
    period = open_period("2026H2", deadline=datetime.date(2026, 12, 10))
    set_target(2026)
    approve_street(period, TONGJIAXI, households=1000, service_center="320.0")
    return period


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


# ---------------------------------------------------------------- pages and scope


def test_district_leader_sees_the_ranking_and_the_cheapest_way(client, period, district_viewer):
    response = signed_in(client, district_viewer).get("/dashboard/?period=2026H2")
    assert response.status_code == 200
    page = response.content.decode()
    assert "达标看板" in page and "童家溪镇" in page and "100.0%" in page
    assert response.context["total"].figures.compliant == 5
    assert response.context["total"].needed_for_target == 154 - 5


def test_street_users_land_on_their_task_and_open_their_dashboard(client, period, tiansheng_editor):
    home = signed_in(client, tiansheng_editor).get("/").content.decode()
    assert "天生街道 · " in home and 'href="/dashboard/"' in home  # issue 21: the task first
    page = client.get("/dashboard/").content.decode()
    assert "天生街道" in page and "各社区（村）本期数据" in page


def test_street_users_cannot_open_other_streets_or_their_communities(
    client, period, tiansheng_editor
):
    signed_in(client, tiansheng_editor)
    assert client.get(f"/dashboard/{TONGJIAXI}/").status_code == 404
    assert client.get(f"/communities/{TONGJIAXI_COMMUNITY}/").status_code == 404
    assert client.get("/dashboard/500109/").status_code == 404
    assert client.post(f"/dashboard/2026H2/{TONGJIAXI}/remind/").status_code == 404


def test_community_page_shows_its_figures_over_the_periods(client, period, district_viewer):
    response = signed_in(client, district_viewer).get(f"/communities/{TONGJIAXI_COMMUNITY}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "历期台账" in page and "32.00" in page


def test_anonymous_users_are_sent_to_log_in(client, period):
    for url in ("/dashboard/", f"/communities/{TONGJIAXI_COMMUNITY}/", "/targets/"):
        assert client.get(url).url.startswith("/accounts/login/")


def test_only_administrators_set_targets(client, period, district_viewer, district_admin):
    assert signed_in(client, district_viewer).get("/targets/").status_code == 403
    client.logout()
    signed_in(client, district_admin)
    response = client.post(
        "/targets/", {"year": 2027, "region": TIANSHENG, "share_percent": "85", "standard": ""}
    )
    assert response.status_code == 302
    assert Target.objects.get(year=2027, region__code=TIANSHENG).share == Decimal("0.850")
    response = client.post(
        "/targets/", {"year": 2027, "region": TIANSHENG, "share_percent": "85", "standard": "35"}
    )
    assert "只能在最上级设置" in response.content.decode()


def _add_streets(count: int) -> None:
    """Grow the district by `count` streets of one community each (codes are synthetic)."""
    root = region("500109")
    streets, communities = [], []
    for n in range(count):
        code = f"T{n:08d}"
        streets.append(
            Region(
                code=code,
                name=f"测试街道{n}",
                level=Level.STREET,
                parent=root,
                path=f"{root.path}{code}/",
                kind=Kind.SUBDISTRICT,
            )
        )
    Region.objects.bulk_create(streets)
    streets = list(Region.objects.filter(code__startswith="T"))
    for street in streets:
        code = f"{street.code}001"
        communities.append(
            Region(
                code=code,
                name=f"{street.name}社区",
                level=Level.COMMUNITY,
                parent=street,
                path=f"{street.path}{code}/",
                kind=Kind.NEIGHBOURHOOD,
                urban_rural_class=UrbanRural.URBAN,
            )
        )
    Region.objects.bulk_create(communities)
    RegionVersion.objects.bulk_create(
        RegionVersion(
            region=r,
            name=r.name,
            parent_id=r.parent_id,
            path=r.path,
            kind=r.kind,
            urban_rural_class=r.urban_rural_class,
        )
        for r in Region.objects.filter(code__startswith="T")
    )


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard/?period=2026H2")
    assert response.status_code == 200
    return len(queries)


def test_district_dashboard_costs_the_same_queries_for_17_and_1000_streets(
    client, period, district_approver
):
    signed_in(client, district_approver)
    with_17 = _dashboard_queries(client)
    _add_streets(983)
    open_period("2026H2")  # adds the new communities' rows and rebuilds the tallies
    response = client.get("/dashboard/?period=2026H2")
    assert len(response.context["children"]) == 1000
    assert _dashboard_queries(client) == with_17


# ---------------------------------------------------------------- reminders


def remind(*args) -> str:
    out = io.StringIO()
    call_command("remind", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def street_approvers(beibei):
    tiansheng = make_user("tiansheng-approver", TIANSHENG, Role.APPROVER)
    tiansheng.email = "tiansheng@example.invalid"
    tiansheng.save()
    return tiansheng


def test_the_daily_reminder_run_reports_today_in_json(period):
    assert json.loads(remind("--dry-run", "--json"))["day"] == str(timezone.localdate())


def test_reminders_go_out_7_3_and_1_days_before_and_never_twice(
    period, street_approvers, django_capture_on_commit_callbacks
):
    # Deadline 10 December: the 3rd is seven days before.
    dry = json.loads(remind("--dry-run", "--today", "2026-12-03", "--json"))
    assert TIANSHENG in [r["street"]["code"] for r in dry["reminders"]]
    assert TONGJIAXI not in [r["street"]["code"] for r in dry["reminders"]]  # approved
    assert ReminderSent.objects.count() == 0
    assert remind("--today", "2026-12-04").strip().endswith("共 0 个街镇")
    with_mail = mail.outbox.copy()
    with django_capture_on_commit_callbacks(execute=True):
        remind("--today", "2026-12-03")
    sent = ReminderSent.objects.filter(day=datetime.date(2026, 12, 3))
    assert sent.count() == 16  # every street but the approved one
    assert len(mail.outbox) == len(with_mail) + 1  # only 天生街道's approver has an address
    assert "还有 7 天" in mail.outbox[-1].body
    assert remind("--today", "2026-12-03").strip().endswith("共 0 个街镇")
    assert ReminderSent.objects.count() == 16
    remind("--today", "2026-12-09")
    assert ReminderSent.objects.filter(day=datetime.date(2026, 12, 9)).count() == 16


def test_dashboard_button_reminds_one_street_once_a_day(
    client, period, district_approver, street_approvers
):
    signed_in(client, district_approver)
    response = client.post(f"/dashboard/2026H2/{TIANSHENG}/remind/", {"next": "/dashboard/"})
    assert response.status_code == 302
    assert ReminderSent.objects.filter(street__code=TIANSHENG, kind="manual").count() == 1
    assert street_approvers.notifications.count() == 1
    client.post(f"/dashboard/2026H2/{TIANSHENG}/remind/")
    assert ReminderSent.objects.filter(street__code=TIANSHENG).count() == 1
    with pytest.raises(DomainError, match="无需催报"):
        remind_street(scope=scope_for(district_approver), period=period, street=region(TONGJIAXI))


def test_street_users_cannot_send_reminders(client, period, tiansheng_editor):
    response = signed_in(client, tiansheng_editor).post(f"/dashboard/2026H2/{TIANSHENG}/remind/")
    assert response.status_code == 403
    assert ReminderSent.objects.count() == 0


def test_a_street_page_shows_areas_entered_without_households_and_says_what_is_missing(
    client, period, district_viewer
):
    """A row with its areas filled in but 户数 blank (or 0) has no ratio to judge: its
    total area is shown and it reads 缺户数 (户数为0), never 未填报 over entered figures."""
    rows = list(street_rows(period, TIANSHENG))
    updates = [
        (rows[0], {"households": None, "service_center": "300.0"}),
        (rows[1], {"households": 0, "service_center": "120.5"}),
        (rows[2], {"households": 1000, "service_center": "320.0"}),
        (rows[3], {"households": 1000, "service_center": "100.0"}),
    ]
    rows_bulk_update(scope=operator_scope(), updates=updates, reason="测试", action="ledger.test")
    page = signed_in(client, district_viewer).get(f"/dashboard/{TIANSHENG}/?period=2026H2&all=1")
    lines = page.content.decode().split('data-testid="community-link"')[1:]
    cells = [line[: line.index("</tr>")] for line in lines]
    assert "300.0" in cells[0] and ">缺户数<" in cells[0] and "未填报" not in cells[0]
    assert "120.5" in cells[1] and ">户数为0<" in cells[1]
    assert ">达标<" in cells[2] and ">未达标<" in cells[3]
    assert all(">未填报<" in cell for cell in cells[4:])
