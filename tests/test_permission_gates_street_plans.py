"""One gate per question, for the streets' implementation plans (issue 24, item 3): for
every persona, the street plan page and the API offer filing a street's plan exactly where
`street_plan_save` takes it, for streets in and out of their node."""

import pytest

from shequ.accounts.scope import scope_for
from shequ.plans.street_plans import may_file_street_plan, street_plan_save

from .conftest import CHENGJIANG, TIANSHENG, region
from .gates import api_allows, page_allows, service_allows

pytestmark = pytest.mark.django_db

YEAR = 2026
TITLE = "2026年城乡社区综合服务设施建设实施方案"


def test_a_street_plan_is_offered_exactly_where_street_plan_save_takes_it(client, people):
    filers = set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for street in (region(TIANSHENG), region(CHENGJIANG)):
            may = may_file_street_plan(scope, street)

            def save(scope=scope, street=street):
                street_plan_save(scope=scope, street=street, year=YEAR, title=TITLE)

            assert may == service_allows(save), (name, street.name)
            api = f"/api/v1/street-plans/{street.code}/{YEAR}"
            assert may == api_allows(lambda api=api: client.post(api, {"title": TITLE})), name
            url = f"/plans/street/{street.code}/{YEAR}/"
            page = client.get(url)
            assert page.status_code in (200, 404), (name, street.name)
            drawn = 'data-testid="street-plan-form"' in page.content.decode()
            assert drawn == may, (name, street.name)
            assert may == page_allows(lambda url=url: client.post(url, {"title": TITLE})), name
            if page.status_code == 200 and not may:  # the role is asked before the title
                assert client.post(url, {"title": ""}).status_code == 403, name
            if may:
                filers.add((name, street.code))
    assert filers == {
        ("qu-admin", TIANSHENG),
        ("qu-admin", CHENGJIANG),
        ("tiansheng-editor", TIANSHENG),
        ("tiansheng-approver", TIANSHENG),
        ("chengjiang-editor", CHENGJIANG),
    }
