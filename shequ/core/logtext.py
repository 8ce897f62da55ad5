"""One request, one log line: text a client wrote (a path, a user name, a token's first
characters) may hold a line break, and a line break in a log line lets anyone who can
send a request write a line of their own into the security log (issue 25).

`one_line` writes every control character as an escape (`\\n`, `\\r`, `\\t`, `\\x1b`, and
the Unicode line and paragraph separators as `\\u2028`, `\\u2029`); the result holds no
control character, so escaping it again changes nothing. `OneLineFormatter` applies it to
every message of every log handler (settings.LOGGING); the security log also escapes the
values it is given, so that its records are safe whatever handler reads them.
"""

from __future__ import annotations

import logging

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_ESCAPES: dict[int, str] = {
    **{code: _NAMED.get(chr(code), f"\\x{code:02x}") for code in _CONTROL},
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def one_line(text: object) -> str:
    """The text with every control character escaped: it cannot break a log line."""
    return str(text).translate(_ESCAPES)


class OneLineFormatter(logging.Formatter):
    """The message escaped; a traceback (our own text) keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return one_line(super().formatMessage(record))
