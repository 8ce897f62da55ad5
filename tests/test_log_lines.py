"""One request, one log line (issue 25): a line break or another control character a
client wrote, in a path, a user name or a token, is escaped, so nobody can forge a line in
the security log."""

import logging

import pytest
from django.test import Client

from shequ.core.logtext import OneLineFormatter, one_line

pytestmark = pytest.mark.django_db

FORGED = "x\r\nlogin user=admin address=10.0.0.1"


def security_lines(caplog) -> list[str]:
    """The security log's records as written, before any handler's formatting."""
    return [r.getMessage() for r in caplog.records if r.name == "shequ.security"]


def one_line_each(lines: list[str]) -> bool:
    return bool(lines) and all("\n" not in line and "\r" not in line for line in lines)


def test_one_line_escapes_every_control_character():
    text = "a\nb\rc\td\x1be\x00f\x85g\u2028h\u2029i 北碚"
    escaped = one_line(text)
    assert escaped == "a\\nb\\rc\\td\\x1be\\x00f\\x85g\\u2028h\\u2029i 北碚"
    assert escaped.isprintable() and one_line(escaped) == escaped


def test_a_failed_login_with_a_line_break_in_the_name_makes_one_line(client, caplog):
    with caplog.at_level("INFO", logger="shequ.security"):
        client.post("/accounts/login/", {"username": FORGED, "password": "wrong"})
    lines = security_lines(caplog)
    assert one_line_each(lines)
    assert any("login_failed user=x\\r\\nlogin user=admin" in line for line in lines)


def test_a_refused_path_with_a_line_break_makes_one_line(district_viewer, caplog):
    """A post without the form's token is refused (403) whatever the street code says."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(district_viewer)
    path = "/dashboard/2025H2/500109104%0D%0Adenied%20status=403%20user=admin/remind/"
    with caplog.at_level("WARNING", logger="shequ.security"):
        assert client.post(path).status_code == 403
    lines = security_lines(caplog)
    assert one_line_each(lines)
    assert any("500109104\\r\\ndenied" in line for line in lines)


def test_a_refused_token_with_a_line_break_makes_one_line(client, caplog):
    with caplog.at_level("WARNING", logger="shequ.security"):
        client.get("/api/v1/summary", HTTP_AUTHORIZATION="Bearer shq_\nforged")
    lines = security_lines(caplog)
    assert one_line_each(lines) and any("prefix=shq_\\nforged" in line for line in lines)


def test_every_log_handler_writes_one_line(settings):
    """Not only the security log: any message with a client's text (django.request's
    "Not Found: /path", a database error with the path) stays on one line."""
    loggers = [logging.getLogger(), logging.getLogger("shequ.security")]
    handlers = [h for x in loggers for h in x.handlers if type(h) is logging.StreamHandler]
    assert handlers and all(isinstance(h.formatter, OneLineFormatter) for h in handlers)
    handler = handlers[0]
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Not Found: %s", ("/a\nb",), None
    )
    assert handler.format(record) == "Not Found: /a\\nb"
