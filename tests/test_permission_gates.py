"""One gate per question (issue 24, item 3): what a page offers is exactly what the service
allows. For every persona and every object (in and out of their node, open and not), the
predicate the page and the API draw with must agree with the service's own refusal."""

import datetime

import pytest

from shequ.accounts.scope import operator_scope, scope_for
from shequ.checklist.services import checklist_update, may_edit_checklist
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import may_edit_row, row_update
from shequ.plans import services as plan_services
from shequ.plans.models import Plan
from shequ.workflow.submissions import submission_submit

from .conftest import CHENGJIANG, PASSWORD, TIANSHENG, XINXINGLU, region
from .gates import service_allows
from .ledger_helpers import approve_street, fill_street, open_period, submission
from .test_plans import SHORT

pytestmark = pytest.mark.django_db


def test_the_grid_and_the_api_offer_a_row_exactly_when_row_update_takes_it(people):
    period = open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    fill_street(period, CHENGJIANG, households=1000, service_center="320.0")
    # 澄江镇 submitted: no longer editable by anyone.
    submission_submit(scope=operator_scope(), submission=submission(period, CHENGJIANG))
    rows = [
        LedgerRow.objects.get(period=period, community__code=XINXINGLU),
        LedgerRow.objects.filter(period=period, street__code=TIANSHENG)
        .exclude(community__code=XINXINGLU)
        .first(),
        LedgerRow.objects.filter(period=period, street__code=CHENGJIANG).first(),
    ]
    offered = []
    for name, user in people.items():
        scope = scope_for(user)
        for row in rows:
            ledger = Submission.objects.filter(period=period, street=row.street).first()
            may = may_edit_row(scope, row, ledger)

            def change(scope=scope, row=row):
                row_update(
                    scope=scope,
                    row=row,
                    changes={"households": 4321},
                    expected_version=row.version,
                )

            assert may == service_allows(change), (name, row.community.name)
            offered.append((name, row.community.code, may))
    # The cases are not all one way: editors of their own open rows are offered them.
    assert ("tiansheng-editor", XINXINGLU, True) in offered
    assert ("xinxinglu-editor", XINXINGLU, True) in offered
    assert ("xinxinglu-editor", rows[1].community.code, False) in offered
    assert ("qu-viewer", XINXINGLU, False) in offered
    assert not any(may for _, code, may in offered if code == rows[2].community.code)


def test_the_grid_page_draws_inputs_as_the_gate_says(client, people):
    period = open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    row = LedgerRow.objects.get(period=period, community__code=XINXINGLU)
    marker = f'id="in-{row.pk}-households" name="households"'
    for name, expected in (("tiansheng-editor", True), ("qu-viewer", False)):
        client.login(username=name, password=PASSWORD)
        page = client.get(f"/ledger/2026H2/{TIANSHENG}/").content.decode()
        cell = page.split(marker)[1].split(">")[0]
        assert ("readonly" not in cell) is expected, name
        assert may_edit_row(scope_for(people[name]), row, None) is expected


def test_the_plan_page_offers_editing_exactly_when_the_plan_services_allow_it(people):
    approve_street(open_period("2026H1"), TIANSHENG, **SHORT)  # drafts 天生街道's plans
    plans = list(Plan.objects.filter(street__code=TIANSHENG).order_by("pk")[:2])
    closed = plans[1]
    Plan.objects.filter(pk=closed.pk).update(state=Plan.State.CLOSED)
    closed.refresh_from_db()
    for name, user in people.items():
        scope = scope_for(user)
        for plan in (plans[0], closed):
            may = plan_services.may_edit_plan(scope, plan)

            def retarget(scope=scope, plan=plan):
                plan_services.plan_set_target_year(
                    scope=scope, plan=plan, year=plan.gap_period.year + 1
                )

            assert may == service_allows(retarget), (name, plan.community.name, plan.state)


def test_the_checklist_page_offers_editing_exactly_when_the_service_allows_it(people):
    communities = [region(XINXINGLU), region("500109104001")]  # 天生's and 童家溪's
    for name, user in people.items():
        scope = scope_for(user)
        for community in communities:
            may = may_edit_checklist(scope, community)

            def save(scope=scope, community=community):
                checklist_update(scope=scope, community=community, values={})

            assert may == service_allows(save), (name, community.name)
