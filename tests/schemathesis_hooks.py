"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by test_api_schemathesis.py):
besides the bodies the document describes, some carry what no JSON encoder of a well
behaved client writes (issue 25) — a number replaced by NaN, Infinity, -Infinity or
1e309, or a string longer than any body the API takes. Which body gets what follows
from the body itself, so a run is as reproducible as its seed."""

from __future__ import annotations

import json
import zlib

import schemathesis

NOT_FINITE = ("NaN", "Infinity", "-Infinity", "1e309")
MARKER = "__NOT_FINITE__"
# Above the API's bound on a body (api.common.MAX_BODY_BYTES, one megabyte): 413. Strings
# longer than a column but within a body are the text-length policy's (its own tests).
OVERSIZED = "长" * (400 * 1024)


def _takes_json(context) -> bool:
    operation = getattr(context, "operation", None)
    bodies = getattr(operation, "body", None) or []
    return any(getattr(body, "media_type", "") == "application/json" for body in bodies)


def _first(body, kind, path=()):
    """The path of the first value of `kind` (bool is no number) in a JSON body."""
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, kind) and not isinstance(value, bool):
                return (*path, key)
            found = _first(value, kind, (*path, key))
            if found:
                return found
    return None


def _replaced(body: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


@schemathesis.hook
def map_body(context, body):
    if not isinstance(body, dict) or not _takes_json(context):
        return body
    choice = zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode()) % 6
    if choice < len(NOT_FINITE):
        number = _first(body, (int, float))
        if number is None:
            return body
        text = json.dumps(_replaced(body, number, MARKER), ensure_ascii=False)
        return text.replace(f'"{MARKER}"', NOT_FINITE[choice]).encode()
    if choice == len(NOT_FINITE):
        string = _first(body, str)
        if string is not None:
            return _replaced(body, string, OVERSIZED)
    return body
