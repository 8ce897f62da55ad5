"""Pages and API calls timed in-process with Django's test client against a generated
database (DATABASE_URL): the whole request stack (middleware, auth, view, JSON or
template) without a network hop. Median of RUNS after WARM calls; prints one JSON object.

    python bench/web_timing.py TOKEN GRID_STREET_CODE NAME=REGION_CODE ...
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import django

RUNS, WARM = 21, 3


def timed(client, url: str, **headers) -> tuple[float, int]:
    for _ in range(WARM):
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code} {response.content[:300]!r}")
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url, **headers)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), response.status_code


def main(token: str, street: str, regions: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    django.setup()
    from django.test import Client

    from shequ.accounts.models import User

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    api = Client(HTTP_HOST="127.0.0.1")
    figures = {}
    figures["api_periods"], _ = timed(api, "/api/v1/periods", **bearer)
    for item in regions:
        name, code = item.split("=")
        url = f"/api/v1/summary?period=2026H2&region={code}"
        figures[f"summary_{name}"], _ = timed(api, url, **bearer)
    page = Client(HTTP_HOST="127.0.0.1")
    figures["login_page"], _ = timed(page, "/accounts/login/")
    page.force_login(User.objects.get(username="admin"))
    figures["street_grid"], _ = timed(page, f"/ledger/2026H2/{street}/")
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
