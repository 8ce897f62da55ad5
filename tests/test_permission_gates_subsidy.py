"""One gate per question, for the subsidy (issue 24, item 3): for every persona, the subsidy
page and the API offer setting the budget, allocating, changing, cancelling and paying
exactly where `subsidy.services` takes it — over allocations in and out of their node,
paid and not."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.subsidy import services
from shequ.subsidy.models import SubsidyAllocation

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .gates import api_allows, service_allows

pytestmark = pytest.mark.django_db

YEAR = 2025
TODAY = timezone.localdate()
Purpose = SubsidyAllocation.Purpose


def allocate(street_code: str, amount: str, **more) -> SubsidyAllocation:
    return services.allocation_create(
        scope=operator_scope(),
        year=YEAR,
        street=region(street_code),
        purpose=Purpose.SERVICE_CENTER,
        amount=Decimal(amount),
        **more,
    ).allocation


@pytest.fixture
def allocations(beibei) -> dict[str, SubsidyAllocation]:
    services.budget_set(scope=operator_scope(), year=YEAR, amount=Decimal("500.00"))
    paid = allocate(TIANSHENG, "9")
    services.allocation_mark_paid(scope=operator_scope(), allocation=paid, paid_on=TODAY)
    return {
        "tiansheng": allocate(TIANSHENG, "8"),
        "tiansheng-paid": SubsidyAllocation.objects.get(pk=paid.pk),
        "xinxinglu": allocate(TIANSHENG, "7", community=region(XINXINGLU)),
        "chengjiang": allocate(CHENGJIANG, "6"),
    }


def send(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def offered(html: str, testid: str, allocation: SubsidyAllocation) -> bool:
    return f'data-testid="{testid}" data-allocation="{allocation.pk}"' in html


def test_the_page_and_the_api_offer_each_allocation_exactly_where_the_services_take_it(
    client, people, allocations
):
    seen = set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        page = client.get(f"/subsidy/?year={YEAR}")
        html = page.content.decode() if page.status_code == 200 else ""
        for key, allocation in allocations.items():
            url = f"/api/v1/subsidies/allocations/{allocation.pk}"

            may_pay = services.may_pay_allocation(scope, allocation)

            def pay(scope=scope, allocation=allocation):
                services.allocation_mark_paid(scope=scope, allocation=allocation, paid_on=TODAY)

            assert may_pay == service_allows(pay), (name, key)
            assert may_pay == api_allows(
                lambda url=url, v=allocation.version: send(
                    client, "post", f"{url}/pay", {"paid_on": str(TODAY), "version": v}
                )
            ), (name, key)
            assert offered(html, "pay-form", allocation) == may_pay, (name, key)

            may_change = services.may_change_allocation(scope, allocation)
            same = {
                "year": allocation.year,
                "street": allocation.street,
                "purpose": allocation.purpose,
                "amount": allocation.amount,
                "community": allocation.community,
            }

            def change(scope=scope, allocation=allocation, same=same):
                services.allocation_update(
                    scope=scope, allocation=allocation, notes="核对后修改", **same
                )

            body = {
                "street": allocation.street.code,
                "purpose": allocation.purpose,
                "amount": float(allocation.amount),
                "community": allocation.community.code if allocation.community else None,
                "notes": "核对后修改",
                "version": allocation.version,
            }
            assert may_change == service_allows(change), (name, key)
            assert may_change == api_allows(
                lambda url=url, body=body: send(client, "patch", url, {"year": YEAR, **body})
            ), (name, key)
            assert offered(html, "change-link", allocation) == may_change, (name, key)

            may_cancel = services.may_cancel_allocation(scope, allocation)

            def cancel(scope=scope, allocation=allocation):
                services.allocation_cancel(scope=scope, allocation=allocation, reason="重复安排")

            assert may_cancel == service_allows(cancel), (name, key)
            assert may_cancel == api_allows(
                lambda url=url, v=allocation.version: send(
                    client, "post", f"{url}/cancel", {"reason": "重复安排", "version": v}
                )
            ), (name, key)
            assert offered(html, "cancel-form", allocation) == may_cancel, (name, key)
            seen |= {
                (name, key, what) for what, may in (("pay", may_pay), ("cancel", may_cancel)) if may
            }
    # Not all one way: the district's approver pays, its administrator cancels, neither a
    # paid allocation; no street does either.
    assert ("qu-approver", "tiansheng", "pay") in seen and (
        "qu-admin",
        "xinxinglu",
        "cancel",
    ) in seen
    assert not any(key == "tiansheng-paid" for _, key, _ in seen)
    assert {name for name, _, _ in seen} == {"qu-admin", "qu-approver"}


def test_the_page_and_the_api_offer_the_budget_and_new_allocations_exactly_where_allowed(
    client, people, allocations
):
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        may = services.may_manage(scope)

        def budget(scope=scope):
            services.budget_set(scope=scope, year=YEAR + 1, amount=Decimal("100"))

        assert may == service_allows(budget), name
        assert may == api_allows(
            lambda: send(client, "put", f"/api/v1/subsidies/budgets/{YEAR + 1}", {"amount": 100})
        ), name
        for code in (TIANSHENG, CHENGJIANG):

            def allocate_to(scope=scope, code=code):
                services.allocation_create(
                    scope=scope,
                    year=YEAR,
                    street=region(code),
                    purpose=Purpose.MUTUAL_AID,
                    amount=Decimal("1"),
                )

            assert may == service_allows(allocate_to), (name, code)
            body = {"year": YEAR, "street": code, "purpose": "mutual_aid", "amount": 1}
            assert may == api_allows(
                lambda body=body: send(client, "post", "/api/v1/subsidies/allocations", body)
            ), (name, code)
        page = client.get(f"/subsidy/?year={YEAR}")
        html = page.content.decode() if page.status_code == 200 else ""
        assert ('data-testid="budget-form"' in html) == may, name
        assert ('data-testid="allocation-form"' in html) == may, name
