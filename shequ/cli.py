"""The `shequ` console script: the project's manage.py.

Every Django management command runs as `shequ <command>`; our own verbs are spelled with
hyphens (`shequ load-regions`), as the operators' documentation writes them.
"""

import contextlib
import gc
import logging
import os
import sys

# A verb is a short batch run: reading or writing a city keeps a few hundred thousand
# objects alive to its end, and the garbage collector's default threshold (700
# allocations) made it scan them thousands of times for nothing, a tenth to a fifth of
# an import or export. Reference counting still frees everything at once; only the search
# for cycles runs less often. (gunicorn, which serves the pages, does not start here.)
GC_THRESHOLD = 100_000


def main(argv: list[str] | None = None) -> None:
    argv = argv if argv is not None else sys.argv
    gc.set_threshold(GC_THRESHOLD)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    # Before Django loads: the import verb's workbook is read by a second process meanwhile.
    from shequ.ledger.importing.early_read import start_reading

    start_reading(argv)
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except SystemExit as exit_:
        leave(exit_.code)
    except BrokenPipeError:
        leave(1)  # the reader went away (`shequ … --json | head`): stop without a traceback
    leave(0)


def leave(code) -> None:
    """End the process as SystemExit would, without tearing the interpreter down.

    Tearing down the ~650 modules a Django process loads, and freeing its objects one by
    one, took about 0.1 s of every verb: a tenth of a city's import. Nothing is left to do
    by then. Every file and temporary directory a verb uses is closed by its own `with`,
    and no verb leaves a thread running. What else would finish at exit is finished here:
    the database connections are closed, the log handlers and both streams flushed."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter prints a SystemExit message
        code = 1
    from django.db import connections

    connections.close_all()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # `shequ … | head` closes the pipe; a test may have closed the stream.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
