"""How a `shequ` verb's process ends once the verb is done."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

from django.db import connections


def end_process(code: int | str | None) -> NoReturn:
    """End the process of a verb that has finished, with SystemExit's meaning of `code`.

    What Python's own exit would still do is done here first: the database connections
    are closed, the atexit handlers run (logging's shutdown among them, and whatever a
    library or the caller registered), both streams are flushed. Then the process ends
    without tearing the interpreter down, module by module and object by object, which
    took about as long as a district's whole import. Only the project's own verbs end
    this way (`ShequCommand.run_from_argv`); `shell`, `runserver` and Django's other
    commands end as Python ends. Should the interpreter offer no way to run the atexit
    handlers first, the verb ends as Python ends too."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter prints a SystemExit message
        code = 1
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        raise SystemExit(code)
    connections.close_all()
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        # `shequ … | head` closes the pipe; the verb's work is done all the same.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code or 0)
