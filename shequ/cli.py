"""The `shequ` console script: the project's manage.py.

Every Django management command runs as `shequ <command>`; our own verbs are spelled with
hyphens (`shequ load-regions`), as the operators' documentation writes them.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = argv if argv is not None else sys.argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from shequ.environment import SettingError

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reads the environment: refuse a bad value here)
    except SettingError as error:
        # A variable the app cannot start with: its message, not a traceback.
        sys.exit(f"配置有误，未启动：{error}")
    try:
        execute_from_command_line(argv)
        sys.stdout.flush()  # here, so that a closed pipe is met inside the `try`
    except BrokenPipeError:
        # The reader went away (`shequ … --json | head`): stop without a traceback. What is
        # still buffered for stdout goes nowhere, so that the interpreter's final flush
        # does not fail on the closed pipe too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
