"""The workbook of `shequ import-ledger FILE`, read while Django starts.

Django's start-up takes a quarter of a second of every verb, and reading a city's workbook
a tenth more. python-calamine holds the interpreter's lock for its whole parse, so no
thread can overlap the two; a second process can. Before Django loads, the console script
forks a child that reads the file with `read_named_file` and hands back through a pipe what
it returned or why it refused the file. The verb takes that when it comes to reading, and
reads the file itself whenever there is nothing to take.

Nothing here imports Django: it runs before Django is set up, and so does the child. The
reader itself is imported only for the import verb, not at the start of every other verb.
"""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shequ.ledger.importing.files import RawSheet

VERB = "import-ledger"
# The verb's options that take a value, its own and Django's: the first argument that is
# neither an option nor such a value is FILE. A spelling this misses (an abbreviated
# option) only names another path, which the verb then never asks for.
OPTIONS_WITH_VALUES = frozenset(
    (
        "--period",
        "--street",
        "--reason",
        "--problems",
        "--as",
        "--settings",
        "--pythonpath",
        "-v",
        "--verbosity",
    )
)
# FILE as written on the command line -> (the child's pid, the pipe's reading end).
_reading: dict[str, tuple[int, int]] = {}


def start_reading(argv: list[str]) -> None:
    """Fork a child reading FILE when `argv` runs the import verb, on a machine with a
    second processor to run it on."""
    path = workbook_argument(argv)
    if path is None or not _worth_reading_early(path):
        return
    reading_end, writing_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reading_end)
        _read_and_hand_over(path, writing_end)  # ends the child
    os.close(writing_end)
    _reading[path] = (pid, reading_end)


def take_sheets(path: str) -> list[RawSheet] | None:
    """What `read_named_file` returned for `path` in the child, or None when no child read it
    (or it failed: the verb then reads the file itself and meets the failure there).
    Raises FileRefused with the child's reason when it refused the file."""
    started = _reading.pop(path, None)
    if started is None:
        return None
    from shequ.ledger.importing.files import FileRefused

    pid, reading_end = started
    try:
        with os.fdopen(reading_end, "rb") as stream:
            outcome, value = pickle.load(stream)
    except (EOFError, OSError, pickle.UnpicklingError):  # it died before handing over
        outcome, value = "failed", None
    finally:
        os.waitpid(pid, 0)
    if outcome == "refused":
        raise FileRefused(value)
    return value if outcome == "sheets" else None


def workbook_argument(argv: list[str]) -> str | None:
    """FILE of `shequ import-ledger … FILE …`, or None for any other command line."""
    if len(argv) < 3 or argv[1] != VERB:
        return None
    arguments = iter(argv[2:])
    for argument in arguments:
        if argument == "--":
            return next(arguments, None)
        if argument.startswith("-") and argument != "-":
            if argument in OPTIONS_WITH_VALUES:
                next(arguments, None)  # its value ("--period=2026H2" carries its own)
            continue
        return argument
    return None


def _worth_reading_early(path: str) -> bool:
    if not hasattr(os, "fork") or _processors() < 2:
        return False  # one processor would run the child's parse in turn with start-up
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return False  # the verb itself says what is wrong with the path
    from shequ.ledger.importing.files import UPLOAD_LIMITS

    # Up to an upload's size. A bigger file gains no more than the start-up (its parse
    # alone outlasts it), and its cells would be held twice while they cross: a country's
    # file would add a gigabyte to the import's peak.
    return stat.S_ISREG(found.st_mode) and 0 < found.st_size <= UPLOAD_LIMITS.file_bytes


def _processors() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read_and_hand_over(path: str, writing_end: int) -> None:
    """In the child: read the file as the verb would, write the outcome to the pipe, end
    without running anything the parent set up to run at exit."""
    code = 0
    try:
        with os.fdopen(writing_end, "wb") as stream:
            pickle.dump(_outcome(Path(path)), stream, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # whatever it was, the verb reads the file itself instead
        code = 1
    finally:
        os._exit(code)


def _outcome(path: Path) -> tuple[str, object]:
    from shequ.ledger.importing.files import FileRefused, read_named_file

    try:  # as the verb reads it
        return "sheets", read_named_file(path)
    except FileRefused as error:
        return "refused", str(error)
