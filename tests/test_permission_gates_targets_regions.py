"""One gate per question (issue 24, item 3) for the targets and the region changes: what
the page offers is what the service (or the change page) allows, for every persona."""

from decimal import Decimal

import pytest
from django.test import Client

from shequ.accounts.scope import scope_for
from shequ.accounts.services import may_change_regions
from shequ.compliance.target_changes import may_set_targets, target_set

from .conftest import PERSONAS, TIANSHENG, region
from .gates import service_allows

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", [name for name, _, _ in PERSONAS])
@pytest.mark.parametrize("code", ["500109", TIANSHENG])
def test_setting_a_target_is_offered_exactly_where_it_is_allowed(people, name, code):
    user, target_region = people[name], region(code)
    scope = scope_for(user)
    allowed = service_allows(
        lambda: target_set(scope=scope, year=2030, region=target_region, share=Decimal("0.8"))
    )
    assert may_set_targets(scope, target_region) == allowed
    page = signed_in(user).get("/targets/")
    assert (page.status_code == 200) == may_set_targets(scope)


@pytest.mark.parametrize("name", [name for name, _, _ in PERSONAS])
@pytest.mark.parametrize("code", ["500109", TIANSHENG])
def test_region_changes_are_offered_exactly_where_the_change_page_opens(people, name, code):
    user, place = people[name], region(code)
    client = signed_in(user)
    offered = "区划调整" in client.get(f"/regions/{code}/").content.decode()
    opens = client.get(f"/regions/{code}/change/").status_code == 200
    assert offered == opens == may_change_regions(scope_for(user), place)
