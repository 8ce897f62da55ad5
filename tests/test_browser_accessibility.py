"""Every page passes an axe-core scan (issue 21, item 9) with no serious or critical
violation, for each role, at a desk's 1366×768 and a phone's 390×844."""

import datetime
from pathlib import Path

import pytest

from shequ.accounts.models import Role

from .conftest import TIANSHENG, make_user
from .ledger_helpers import approve_street, fill_street, open_period
from .test_browser_ledger import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
CHENGJIANG = "500109101"
PERSONAS = {
    "qu-admin": ("500109", Role.ADMIN),
    "qu-approver": ("500109", Role.APPROVER),
    "ts-editor": (TIANSHENG, Role.EDITOR),
    "ts-approver": (TIANSHENG, Role.APPROVER),
}


@pytest.fixture
def district(beibei):
    """2025H2 approved (plans made for the communities short of the standard); 2026H2 open,
    天生街道 filled in."""
    closed = open_period("2025H2", deadline=datetime.date(2099, 12, 31))
    approve_street(closed, TIANSHENG, households=1000, service_center="200.0")
    current = open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    fill_street(current, TIANSHENG)
    for name, (code, role) in PERSONAS.items():
        make_user(name, code, role)
    return current


def violations(page) -> list[str]:
    """The serious and critical violations of WCAG 2 A/AA on the page as it is."""
    # Through the browser's debugging channel: the page's CSP allows no inline script.
    page.evaluate(AXE)
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            });
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                     v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
        }"""
    )
    return found


def sideways(page) -> str:
    """What makes a phone's page wider than its screen ("" when nothing does): wide tables
    and forms must scroll inside their card."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return "";
            const wide = Array.from(document.querySelectorAll("body *")).filter(e => {
                const box = e.getBoundingClientRect();
                return box.right > width + 1 && getComputedStyle(e).position !== "fixed";
            });
            const outermost = wide.filter(e => !wide.includes(e.parentElement));
            const named = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                (typeof e.className === "string" && e.className
                    ? "." + e.className.split(" ").join(".") : "");
            return outermost.slice(0, 3).map(named).join(", ");
        }"""
    )


def menu_links(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#nav a[href]'))
            .map(a => a.getAttribute('href')).filter(h => h && h.startsWith('/'))"""
    )


EXTRA_PAGES = [
    "/ledger/2026H2/{street}/",
    "/ledger/2025H2/{street}/review/",
    "/dashboard/{street}/",
    "/notifications/",
    "/accounts/password/",
    "/accounts/tokens/",
]


@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)], ids=["desk", "phone"])
def test_no_page_has_a_serious_accessibility_violation(page, live_server, district, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(f"{live_server.url}/accounts/login/")
    found = {"/accounts/login/": violations(page)}
    for name in PERSONAS:
        log_in(page, live_server, name)
        pages = ["/", *menu_links(page), *(p.format(street=TIANSHENG) for p in EXTRA_PAGES)]
        # Django's own admin is left out: it is Django's markup, for superusers only.
        for path in (p for p in dict.fromkeys(pages) if not p.startswith("/admin/")):
            response = page.goto(f"{live_server.url}{path}")
            if response is None or response.status >= 400:
                continue  # not this role's page: the scopes are tested elsewhere
            page.wait_for_load_state("networkidle")
            problems = violations(page)
            if viewport[0] < 576 and sideways(page):
                problems.append(f"the page scrolls sideways: {sideways(page)}")
            if problems:
                found[f"{name} {path}"] = problems
        page.context.clear_cookies()
    found = {where: problems for where, problems in found.items() if problems}
    assert not found, "\n".join(f"{where}: {p}" for where, ps in found.items() for p in ps)


def test_on_a_phone_the_menu_opens_and_signing_out_is_on_the_screen(page, live_server, district):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "ts-editor")
    page.get_by_role("button", name="菜单").click()
    sign_out = page.get_by_role("button", name="退出")
    sign_out.wait_for(state="visible")
    box = sign_out.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
