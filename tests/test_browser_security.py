"""Every kind of page runs under the content-security policy without a violation: no
inline script left, charts still drawn, pickers still apply at once."""

import datetime

import pytest
from playwright.sync_api import expect

from shequ.plans.models import Plan

from .ledger_helpers import approve_street, open_period, set_target
from .test_browser_ledger import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGJIAXI = "500109104"


@pytest.fixture
def data(beibei, district_admin):
    set_target(2025)
    approve_street(
        open_period("2025H2", deadline=datetime.date(2099, 12, 31)),
        TONGJIAXI,
        households=1000,
        service_center="250.0",
    )
    open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    return Plan.objects.filter(street__code=TONGJIAXI).first()


def test_pages_keep_to_the_policy(page, live_server, data):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused" in message.text
            else None
        ),
    )
    log_in(page, live_server, "qu-admin")
    pages = [
        "/dashboard/?period=2025H2",
        f"/dashboard/{TONGJIAXI}/?period=2025H2",
        f"/plans/{data.pk}/",
        "/plans/",
        "/plans/street/?year=2026",
        "/evaluation/?year=2025",
        "/subsidy/",
        "/assets/",
        "/checklist/",
        "/targets/",
        f"/ledger/2026H2/{TONGJIAXI}/",
        "/users/",
        "/users/new/",
        "/accounts/tokens/",
        "/api/v1/docs",
    ]
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert violations == []
    # The API docs page draws the operations from the OpenAPI document.
    page.goto(live_server.url + "/api/v1/docs")
    expect(page.get_by_text("/api/v1/summary").first).to_be_visible()

    # Charts are drawn from the JSON block, and the period picker applies at once.
    page.goto(f"{live_server.url}/dashboard/?period=2026H2")
    expect(page.get_by_test_id("chart-trend")).to_have_attribute("data-drawn", "1")
    page.get_by_label("报告期").select_option("2025H2")
    expect(page).to_have_url(f"{live_server.url}/dashboard/?period=2025H2")
    assert violations == []
