"""No `shequ` verb answers bad arguments with a traceback or in English (issue 25): an
option it does not have, a required argument left out, a value of the wrong kind, a
period, date or year that cannot be, a file that is not there, an unknown user or verb.
Usage errors exit 2 with a Chinese reason on stderr; the verbs' own refusals keep the
exit codes their documentation states (1 refused, 2 file unreadable, …).

Each verb runs in this process as the command line runs it (`shequ.cli.main`), with the
process's end turned back into SystemExit; an exception that escapes is what the
command line would have printed as a traceback."""

import pkgutil
import re

import pytest

import shequ.management.commands as verbs
from shequ import cli

from .ledger_helpers import open_period

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
VERBS = sorted(module.name for module in pkgutil.iter_modules(verbs.__path__))
MISSING = "/nonexistent/不存在/文件.xlsx"


@pytest.fixture
def command_line(monkeypatch, capsys, beibei):
    """`shequ ARGS…` → (exit code, stderr)."""
    monkeypatch.setattr("shequ.management.base.end_process", _raise_exit)
    open_period("2026H2")

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            cli.main(["shequ", *args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        return code, capsys.readouterr().err

    return run


def _raise_exit(code):
    raise SystemExit(code)


def assert_refused(result, *codes, args=()):
    code, err = result
    assert code in codes, (args, code, err)
    assert "Traceback" not in err, (args, err)
    assert CHINESE.search(err), (args, err)
    for english in ("usage:", "error:", "CommandError", "Unknown command", "invalid", "expected"):
        assert english not in err, (args, english, err)


@pytest.mark.parametrize("verb", VERBS)
def test_an_option_a_verb_does_not_have_is_a_chinese_usage_error(command_line, verb):
    result = command_line(verb, "--no-such-option", "x")
    assert_refused(result, 2, args=(verb,))
    # argparse names the option, or first the required arguments left out
    assert re.search(r"--no-such-option|缺少必需的参数|须给出其中一个|参数 \S+：", result[1]), (
        result
    )


REQUIRED = [verb for verb in VERBS if verb not in ("backup", "demo", "first-run", "gen-scale")]
REQUIRED = [v for v in REQUIRED if v not in ("rebuild-tallies", "remind", "verify-ledger")]


@pytest.mark.parametrize("verb", REQUIRED)
def test_a_required_argument_left_out_is_a_chinese_usage_error(command_line, verb):
    assert_refused(command_line(verb), 2, args=(verb,))


# Values no operator means: each verb with each kind of bad value, and the exit code its
# documentation states (2 for a value that cannot be read at all).
BAD_VALUES = [
    (("backup", "--keep", "abc"), 2),
    (("close-period", "garbage"), 2),
    (("open-period", "garbage"), 2),
    (("open-period", "2027H1", "--deadline", "abc"), 2),
    (("open-period", "2027H1", "--deadline", "2027-02-30"), 2),
    (("evaluate", "--year", "abc"), 2),
    (("evaluate", "--year", "99999999999999999999"), 2),
    (("evaluate", "--year", "2026", "--region", "garbage"), 1),
    (("export-ledger", "--period", "garbage", "-o", "x.xlsx"), 2),
    (("export-ledger", "--period", "2026H2", "--format", "pdf", "-o", "x.pdf"), 2),
    (("export-ledger", "--period", "2026H2", "-o", "/nonexistent/不存在/x.xlsx"), 2),
    (("extend-deadline", "--period", "garbage", "--street", "x", "--until", "x"), 2),
    (
        ("extend-deadline", "--period", "2026H2", "--street", "500109001", "--until", "abc"),
        2,
    ),
    (("first-run", "--today", "abc"), 2),
    (("gen-scale", "--national", "abc"), 2),
    (("import-ledger", MISSING, "--period", "2026H2"), 2),
    (("import-ledger", MISSING, "--period", "garbage"), 2),
    (("load-regions", MISSING), 1),  # the first load: "区划文件未导入" (its stated 1)
    (("load-regions", MISSING, "--effective", "garbage"), 2),
    (("rebuild-tallies", "--period", "garbage"), 2),
    (("region-change", "bogus"), 2),
    (("region-change", "merge"), 2),
    (("remind", "--today", "abc"), 2),
    (("restore-drill", MISSING), 1),  # docs/backup.md: 1, the drill failed
    (("restore", MISSING), 1),
    (("summary", "--period", "garbage"), 2),
    (("summary", "--period", "2026H2", "--region", "garbage"), 1),
    (("token", "nobody"), 1),
    (("verify-ledger", "--period", "garbage"), 2),
    (("verify-ledger", "--as", "nobody"), 1),
]


@pytest.mark.parametrize(("args", "code"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_a_bad_value_is_refused_in_chinese_with_the_stated_exit_code(command_line, args, code):
    assert_refused(command_line(*args), code, args=args)


def test_every_verb_is_walked_with_a_bad_value():
    assert {args[0] for args, _ in BAD_VALUES} >= set(VERBS) - {"demo"}


def test_an_unknown_verb_is_a_chinese_usage_error(command_line):
    result = command_line("verify-ledgr")
    assert_refused(result, 2)
    assert "verify-ledger" in result[1]  # the verb probably meant


def test_the_process_itself_exits_2_in_chinese(tmp_path):
    """The same through the installed `shequ` script, as an operator's shell sees it."""
    from .test_cli import run_shequ

    assert run_shequ(tmp_path, "migrate", "-v0").returncode == 0
    for args in (("verify-ledgr",), ("summary", "--period", "garbage"), ("backup", "--keep")):
        result = run_shequ(tmp_path, *args)
        err = result.stderr.decode()
        assert result.returncode == 2, (args, err)
        assert "Traceback" not in err and CHINESE.search(err) and "usage:" not in err, err
    unwritable = run_shequ(tmp_path, "backup", "-o", str(tmp_path / "no" / "such" / "b.json"))
    assert "Traceback" not in unwritable.stderr.decode(), unwritable.stderr.decode()
    assert unwritable.returncode in (1, 2) and CHINESE.search(unwritable.stderr.decode())
