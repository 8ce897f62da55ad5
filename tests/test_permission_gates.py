"""One gate per question (issue 24, item 3): what a page offers is exactly what the service
allows. For every persona and every object (in and out of their node, open and not), the
predicate the page and the API draw with must agree with the service's own refusal."""

import datetime

import pytest

from shequ.accounts.scope import operator_scope, scope_for
from shequ.checklist.services import checklist_update, may_edit_checklist
from shequ.evaluation.evaluation import may_evaluate
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.periods import period_close
from shequ.ledger.rows import may_edit_row, row_update
from shequ.ledger.submissions import may_decide, may_reopen, may_submit
from shequ.plans import services as plan_services
from shequ.plans.models import Plan
from shequ.workflow.submissions import (
    submission_approve,
    submission_reopen,
    submission_return,
    submission_submit,
)

from .conftest import CHENGJIANG, PASSWORD, TIANSHENG, XINXINGLU, region
from .gates import api_allows, service_allows
from .ledger_helpers import approve_street, fill_street, open_period, submission
from .test_plans import SHORT

TONGJIAXI = "500109104"

pytestmark = pytest.mark.django_db


def test_the_grid_and_the_api_offer_a_row_exactly_when_row_update_takes_it(client, people):
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
        client.force_login(user)
        for row in rows:
            ledger = Submission.objects.filter(period=period, street=row.street).first()
            may = may_edit_row(scope, row, ledger)
            url = f"/api/v1/ledger/rows/{row.pk}"
            shown = client.get(url)
            assert (shown.status_code == 200 and shown.json()["editable"]) == may, name
            body = {"version": row.version, "changes": {"households": 4321}}
            assert may == api_allows(
                lambda url=url, body=body: client.patch(url, body, content_type="application/json")
            ), (name, row.community.name)

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


# ---------------------------------------------------------------- a street's ledger


@pytest.fixture
def ledgers(beibei) -> dict[str, Submission]:
    """天生街道 a draft and 澄江镇 submitted in 2026H2, 童家溪镇 approved in it; 天生's
    2026H1 approved in a period since closed."""
    first = open_period("2026H1")
    approve_street(first, TIANSHENG)
    period_close(scope=operator_scope(), period=first)
    period = open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    fill_street(period, TIANSHENG)
    fill_street(period, CHENGJIANG)
    submission_submit(scope=operator_scope(), submission=submission(period, CHENGJIANG))
    approve_street(period, TONGJIAXI)
    return {
        "tiansheng": submission(period, TIANSHENG),
        "chengjiang": submission(period, CHENGJIANG),
        "tongjiaxi": submission(period, TONGJIAXI),
        "tiansheng-closed": submission(Period.objects.get(pk=first.pk), TIANSHENG),
    }


def steps(scope, ledger: Submission) -> dict:
    """Each step: its gate, the service."""
    return {
        "submit": (
            may_submit(scope, ledger),
            lambda: submission_submit(scope=scope, submission=ledger),
        ),
        "approve": (
            may_decide(scope, ledger),
            lambda: submission_approve(scope=scope, submission=ledger),
        ),
        "return": (
            may_decide(scope, ledger),
            lambda: submission_return(scope=scope, submission=ledger, reason="户数待核实"),
        ),
        "reopen": (
            may_reopen(scope, ledger),
            lambda: submission_reopen(scope=scope, submission=ledger, reason="户数有误"),
        ),
    }


def test_the_grid_the_review_page_and_the_api_offer_each_step_exactly_where_it_is_taken(
    client, people, ledgers
):
    taken = set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for key, ledger in ledgers.items():
            where = f"{ledger.period.code}/{ledger.street.code}"
            grid = client.get(f"/ledger/{where}/").content.decode()
            review = client.get(f"/ledger/{where}/review/")
            assert review.status_code in (200, 403, 404), (name, key)
            html = review.content.decode() if review.status_code == 200 else ""
            offered = {
                "submit": 'data-testid="submit"' in grid,
                "approve": 'data-testid="decide"' in html,
                "return": 'data-testid="decide"' in html,
                "reopen": 'data-testid="reopen"' in html and 'title="本期已关闭"' not in html,
            }
            for step, (may, service) in steps(scope, ledger).items():
                assert may == service_allows(service), (name, key, step)
                body = {"reason": "户数待核实"}
                url = f"/api/v1/submissions/{where}/{step}"
                assert may == api_allows(
                    lambda url=url, body=body: client.post(
                        url, body, content_type="application/json"
                    )
                ), (name, key, step)
                assert offered[step] == may, (name, key, step)
                if may:
                    taken.add((name, key, step))
    assert ("tiansheng-approver", "tiansheng", "submit") in taken
    assert ("qu-approver", "chengjiang", "return") in taken
    assert ("qu-approver", "tongjiaxi", "reopen") in taken
    assert not any(key == "tiansheng-closed" for _, key, _ in taken)
    assert {name for name, _, _ in taken} == {"tiansheng-approver", "qu-approver"}


def test_the_evaluation_opens_on_the_page_and_the_api_exactly_to_district_users(client, people):
    approve_street(open_period("2026H2"), TIANSHENG)
    for name, user in people.items():
        client.force_login(user)
        may = may_evaluate(scope_for(user))
        page = client.get("/evaluation/?year=2026")
        assert page.status_code in (200, 403, 404), name
        assert (page.status_code == 200) == may, name
        answer = client.get("/api/v1/evaluations/2026")
        assert answer.status_code in (200, 403, 404), name
        assert (answer.status_code == 200) == may, name
