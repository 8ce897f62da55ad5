"""The `shequ` console script: the project's manage.py.

Every Django management command runs as `shequ <command>`; our own verbs are spelled with
hyphens (`shequ load-regions`), as the operators' documentation writes them.

No verb answers an operator with a traceback (ADR 0038): an unknown verb, a usage error
(management.parser) and a file that cannot be read or written exit 2 with the reason in
Chinese; an error of ours says so in one line and exits 1 (`--traceback` shows it).
"""

import difflib
import os
import sys

USAGE_ERROR = 2


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
    _refuse_an_unknown_verb(argv)
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
    except OSError as error:
        if "--traceback" in argv:
            raise
        sys.exit(_file_refusal(error))
    except Exception as error:
        if "--traceback" in argv:
            raise
        wrapped = _os_error_in(error)  # a library's own error around it (xlsxwriter's)
        if wrapped is not None:
            sys.exit(_file_refusal(wrapped))
        sys.exit(
            f"命令出错（{type(error).__name__}），操作可能没有完成；加 --traceback 可显示详细信息"
        )


def _refuse_an_unknown_verb(argv: list[str]) -> None:
    """Django says "Unknown command" in English and exits 1; an operator reads Chinese and
    the verb meant, and a usage error exits 2."""
    if len(argv) < 2 or argv[1].startswith("-") or argv[1] in ("help", "version"):
        return
    import django
    from django.core.management import get_commands

    django.setup()  # as the command line does next anyway: the verbs come from the apps
    known = get_commands()
    if argv[1] in known:
        return
    close = difflib.get_close_matches(argv[1], list(known), n=1)
    hint = f"是不是要用 {close[0]}？" if close else ""
    print(f"没有命令“{argv[1]}”。{hint}输入 shequ help 查看全部命令。", file=sys.stderr)
    sys.exit(USAGE_ERROR)


def _os_error_in(error: BaseException) -> OSError | None:
    for inner in (error.__cause__, error.__context__, *error.args):
        if isinstance(inner, OSError):
            return inner
    return None


def _file_refusal(error: OSError) -> int:
    """A file or folder named on the command line that cannot be read or written."""
    reasons = {
        FileNotFoundError: "不存在",
        PermissionError: "没有权限",
        IsADirectoryError: "是文件夹，不是文件",
        NotADirectoryError: "路径中有一段不是文件夹",
    }
    reason = next((r for kind, r in reasons.items() if isinstance(error, kind)), None)
    where = f"“{error.filename}”" if error.filename else ""
    print(f"文件{where}无法读取或写入：{reason or error.strerror or error}", file=sys.stderr)
    return USAGE_ERROR


if __name__ == "__main__":
    main()
