"""The `shequ` console script: the project's manage.py.

Every Django management command runs as `shequ <command>`; our own verbs are spelled with
hyphens (`shequ load-regions`), as the operators' documentation writes them.
"""

import gc
import os
import sys

# A verb is a short batch run: reading or writing a city keeps a few hundred thousand
# objects alive to its end, and the garbage collector's default threshold (700
# allocations) made it scan them thousands of times for nothing, a tenth to a fifth of
# an import or export. Reference counting still frees everything at once; only the search
# for cycles runs less often. (gunicorn, which serves the pages, does not start here.)
GC_THRESHOLD = 100_000


def main(argv: list[str] | None = None) -> None:
    gc.set_threshold(GC_THRESHOLD)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
