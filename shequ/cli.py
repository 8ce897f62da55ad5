"""The `shequ` console script: the project's manage.py.

Every Django management command runs as `shequ <command>`; our own verbs are spelled with
hyphens (`shequ load-regions`), as the operators' documentation writes them.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
