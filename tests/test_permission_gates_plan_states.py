"""One gate per question, for a plan's state moves (issue 24, item 3): for every persona,
the plan page and the API offer 开始实施, 申请销号, 退回 and 销号 exactly where the plan
services take them — over plans in and out of their node, in every state, compliant on
their approved ledger or not."""

import datetime

import pytest
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.plans import services
from shequ.plans.models import Measure, Plan
from shequ.workflow import measures

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU
from .gates import api_allows, service_allows
from .ledger_helpers import approve_street, open_period, set_target

pytestmark = pytest.mark.django_db

SHORT = {"households": 1000, "service_center": "250.0"}  # 25 m² per 100 households
TODAY = timezone.localdate()
State = Plan.State


def in_state(plan: Plan, state: str) -> Plan:
    Plan.objects.filter(pk=plan.pk).update(state=state)
    return Plan.objects.select_related("community", "street", "gap_period").get(pk=plan.pk)


@pytest.fixture
def plans(beibei) -> dict[str, Plan]:
    """天生街道's plans judged on 2026H1, compliant once the 2026 standard is 20 m²; 澄江镇's
    on 2025H2, still short of 2025's 30 m²."""
    approve_street(open_period("2025H2"), CHENGJIANG, **SHORT)
    approve_street(open_period("2026H1"), TIANSHENG, **SHORT)
    set_target(2026, standard=20)
    tiansheng = list(
        Plan.objects.filter(street__code=TIANSHENG)
        .exclude(community__code=XINXINGLU)
        .order_by("community__code")[:3]
    )
    chengjiang = list(Plan.objects.filter(street__code=CHENGJIANG).order_by("community__code")[:2])
    drafting = Plan.objects.get(community__code=XINXINGLU)
    measures.measure_save(
        scope=operator_scope(),
        plan=drafting,
        values={
            "method": Measure.Method.RENOVATE,
            "description": "改造社区二楼",
            "planned_area": 60,
            "planned_date": TODAY + datetime.timedelta(days=60),
            "status": Measure.Status.NOT_STARTED,
        },
    )
    return {
        "drafting": in_state(drafting, State.DRAFTING),
        "implementing": in_state(tiansheng[0], State.IMPLEMENTING),
        "pending": in_state(tiansheng[1], State.PENDING),
        "closed": in_state(tiansheng[2], State.CLOSED),
        "chengjiang-pending": in_state(chengjiang[0], State.PENDING),  # short: no 销号
        "chengjiang-implementing": in_state(chengjiang[1], State.IMPLEMENTING),
    }


def moves(scope, plan: Plan) -> dict:
    """Each move: its gate, the service, and the API's request."""
    url = f"/api/v1/plans/{plan.pk}"
    return {
        "start": (
            services.may_start_plan(scope, plan),
            lambda: services.plan_start(scope=scope, plan=plan),
            lambda client: client.post(f"{url}/start"),
        ),
        "request-close": (
            services.may_request_close(scope, plan),
            lambda: services.plan_request_close(scope=scope, plan=plan),
            lambda client: client.post(f"{url}/request-close"),
        ),
        "send-back-form": (
            services.may_send_back_plan(scope, plan),
            lambda: services.plan_send_back(scope=scope, plan=plan, reason="资料不全"),
            lambda client: client.post(
                f"{url}/send-back", {"reason": "资料不全"}, content_type="application/json"
            ),
        ),
        "close-form": (
            services.may_close_plan(scope, plan),
            lambda: services.plan_close(scope=scope, plan=plan, closed_on=TODAY, note="已达标"),
            lambda client: client.post(f"{url}/close", {"closed_on": str(TODAY), "note": "已达标"}),
        ),
    }


def test_the_plan_page_and_the_api_offer_each_move_exactly_where_the_services_take_it(
    client, people, plans
):
    taken = set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for key, plan in plans.items():
            page = client.get(f"/plans/{plan.pk}/")
            assert page.status_code in (200, 404), (name, key)
            html = page.content.decode()
            for move, (may, service, request) in moves(scope, plan).items():
                assert may == service_allows(service), (name, key, move)
                assert may == api_allows(lambda request=request: request(client)), (name, key, move)
                assert (f'data-testid="{move}"' in html) == may, (name, key, move)
                if may:
                    taken.add((name, key, move))
    assert ("tiansheng-editor", "drafting", "start") in taken
    assert ("xinxinglu-editor", "drafting", "start") in taken
    assert ("tiansheng-approver", "implementing", "request-close") in taken
    assert ("qu-approver", "pending", "close-form") in taken
    assert ("qu-approver", "chengjiang-pending", "send-back-form") in taken
    assert ("qu-approver", "chengjiang-pending", "close-form") not in taken  # short
    assert not any(key == "closed" for _, key, _ in taken)
    assert not any(name in ("qu-viewer", "qu-admin", "outsider") for name, _, _ in taken)


def test_a_drafting_plan_is_not_offered_for_销号_which_the_service_refuses(
    client, district_approver, plans
):
    """The page offered 销号 on any open plan whose approved ledger shows it compliant;
    `plan_close` takes only one being implemented or awaiting 销号."""
    plan = plans["drafting"]
    assert services.shows_compliant(services.latest_approved_row(plan))
    client.force_login(district_approver)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "销号（区级审核员）" in page and 'data-testid="close-form"' not in page
