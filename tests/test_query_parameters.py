"""Malformed query parameters (issue 25): every URL pattern of the pages and the API,
called as a district administrator with each query parameter its view reads set to
values no form writes (letters for a number, a huge number, NaN, a NUL byte, a period
that cannot be): never a 500; a page answers at worst a Chinese 400, the API a JSON 4xx.

Which parameters a page reads is found by calling it once with a recording `request.GET`
(the parameters read, whatever reads them: the view, a form bound to the query, the
paginator); the API's are in its OpenAPI document."""

import re

import pytest
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver

from shequ.accounts.models import User
from shequ.ledger.models import LedgerRow
from shequ.plans.models import Plan

from .conftest import PASSWORD, TIANSHENG, XINXINGLU
from .test_api import outside_objects, period  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
MALFORMED = (
    "abc",
    "",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "a\x00b",
    "2026H9",
    "１２",  # full-width digits: int() takes them, a database lookup may not
)
# Django's admin is Django's own; everything else is walked.
SKIPPED_PREFIXES = ("admin/",)


class RecordingQuery(QueryDict):
    """A request's query that notes every name looked up in it."""

    def __init__(self, *args, **kwargs):
        self.read: set[str] = set()
        super().__init__(*args, **kwargs)
        self.read.clear()  # what building it looked up is no read of the view's

    def _note(self, key):
        if isinstance(key, str):
            self.read.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


READ: dict[str, set[str]] = {}


class RecordQueryReads:
    """Test middleware: gives each request a RecordingQuery, filed under its URL name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = RecordingQuery(request.META.get("QUERY_STRING", ""))
        request.GET = query
        response = self.get_response(request)
        READ.setdefault(request.path, set()).update(query.read)
        return response


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _path_values(period, outside_objects):  # noqa: F811
    asset, allocation = outside_objects
    row = LedgerRow.objects.filter(period=period, street__code=TIANSHENG).first()
    plan = Plan.objects.filter(measures__isnull=False).first()
    admin = User.objects.get(username="qu-admin")
    return {
        "ledger/rows/": row.pk,
        "users/": admin.pk,
        "notifications/": 1,
        "plans/": plan.pk,
        "assets/": asset.pk,
        "regions/": TIANSHENG,
        "dashboard/": TIANSHENG,
        "communities/": XINXINGLU,
        "checklist/": XINXINGLU,
        "period_code": period.code,
        "street_code": TIANSHENG,
        "token": "no-such-import",
        "year": 2026,
        "item_code": "hall",
        # the API's
        "code": TIANSHENG,
        "period": period.code,
        "street": TIANSHENG,
        "row_id": row.pk,
        "plan_id": plan.pk,
        "measure_id": plan.measures.first().pk,
        "asset_id": asset.pk,
        "allocation_id": allocation.pk,
        "community": XINXINGLU,
        "item": "hall",
    }


def _page_url(pattern: str, values: dict) -> str:
    def fill(match):
        name = match.group(2)
        if name in ("pk", "code"):
            owner = next(prefix for prefix in values if prefix.endswith("/") and prefix in pattern)
            return str(values[owner])
        return str(values[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, pattern)


def _pages(values):
    for pattern in _patterns(get_resolver().url_patterns):
        if pattern.startswith(SKIPPED_PREFIXES) or pattern.startswith("api/"):
            continue
        yield _page_url(pattern, values)


def _api_calls(client, values):
    document = client.get("/api/v1/openapi.json").json()
    for path, methods in document["paths"].items():
        operation = methods.get("get")
        if operation is None:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        yield url, names


@pytest.fixture
def recording(settings):
    READ.clear()
    settings.MIDDLEWARE = ["tests.test_query_parameters.RecordQueryReads", *settings.MIDDLEWARE]
    settings.DEBUG = False


def _page_problem(response) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code == 400 and not CHINESE.search(response.content.decode()):
        return "400 without a Chinese reason"
    return None


def _api_problem(response) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code >= 400:
        if not response["Content-Type"].startswith("application/json"):
            return f"{response.status_code} not JSON"
        if not CHINESE.search(response.json()["message"]):
            return f"{response.status_code} {response.json()['message']}"
    return None


def test_no_malformed_query_parameter_is_a_server_error(
    client,
    period,  # noqa: F811
    outside_objects,  # noqa: F811
    district_admin,
    recording,
):
    client.raise_request_exception = False
    client.login(username="qu-admin", password=PASSWORD)
    values = _path_values(period, outside_objects)
    pages = list(_pages(values))
    problems = []
    for url in pages:
        if problem := _page_problem(client.get(url)):
            problems.append((url, {}, problem))
    read = {url: READ.get(url, set()) for url in pages}
    assert sum(len(names) for names in read.values()) >= 20, read
    tried = 0
    for url, names in read.items():
        for name in sorted(names):
            for value in MALFORMED:
                query = {name: value}
                if problem := _page_problem(client.get(url, query)):
                    problems.append((url, query, problem))
                tried += 1
    api = list(_api_calls(client, values))
    assert len(api) >= 20
    for url, names in api:
        for name in names:
            for value in MALFORMED:
                query = {"period": period.code, "year": "2026"} | {name: value}
                if problem := _api_problem(client.get(url, query)):
                    problems.append((url, query, problem))
                tried += 1
    print(f"query walk: {len(pages)} pages, {len(api)} API reads, {tried} requests")
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("value", ["abc", "1e309", "a\x00b", "99999999999999999999999999"])
def test_an_id_posted_by_a_hidden_field_is_a_chinese_400_when_it_is_none(
    client,
    period,  # noqa: F811
    outside_objects,  # noqa: F811
    district_admin,
    settings,
    value,
):
    """The pages' hidden ids (the measure to delete, the allocation to pay) are checked as
    the query's are: letters there were a 500."""
    settings.DEBUG = False
    client.raise_request_exception = False
    client.login(username="qu-admin", password=PASSWORD)
    plan = Plan.objects.filter(measures__isnull=False).first()
    posts = [
        (f"/plans/{plan.pk}/", {"action": "delete", "measure": value}),
        ("/subsidy/", {"action": "pay", "allocation": value, "year": "2026"}),
        ("/subsidy/", {"action": "cancel", "allocation": value, "year": "2026"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 400, (url, data, response.status_code)
        assert "应为数字编号" in response.content.decode(), url
