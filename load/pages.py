"""What a simulated user reads off the app's pages, and how its client keeps cookies."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from requests.cookies import RequestsCookieJar


class LoopbackCookieJar(RequestsCookieJar):
    """nginx terminates TLS in production and the app marks its cookies Secure; on loopback
    the client speaks plain HTTP to gunicorn (sending X-Forwarded-Proto: https, as nginx
    does), so it keeps the cookies as a browser would over HTTPS and sends them back."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class _GridRows(HTMLParser):
    """Each editable row of the grid: its id and the fields htmx posts for it (every input
    of the row's <tbody>, readonly ones too; a checkbox only when ticked)."""

    def __init__(self):
        super().__init__()
        self.rows: dict[int, dict[str, str]] = {}
        self._row: int | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tbody" and "hx-post" in attributes and attributes.get("data-row"):
            self._row = int(attributes["data-row"])
            self.rows[self._row] = {}
        elif tag == "input" and self._row is not None and attributes.get("name"):
            unticked = attributes.get("type") == "checkbox" and "checked" not in attributes
            if not unticked and "disabled" not in attributes:
                self.rows[self._row][attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._row = None


def grid_rows(html: str) -> dict[int, dict[str, str]]:
    """The editable rows of a street's grid page, by row id."""
    parser = _GridRows()
    parser.feed(html)
    return parser.rows


def saved_version(html: str, row: int) -> str | None:
    """The row's new version number in a save's answer (None: not saved)."""
    found = re.search(rf'id="version-{row}" name="version" value="(\d+)"', html)
    return found.group(1) if found else None
