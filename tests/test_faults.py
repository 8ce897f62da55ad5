"""Faults (issue 12): a process killed in the middle of an import, a database connection
lost under a request, two approvers deciding one ledger at the same moment.

Each runs on SQLite and, in the PostgreSQL pass of CI, on PostgreSQL, where the faults are
real: the killed import holds an open transaction on the server, and the lost connection
is cut by the server (`pg_terminate_backend`).
"""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import RequestFactory

from shequ.accounts.models import Role
from shequ.accounts.scope import operator_scope, scope_for
from shequ.compliance.models import Tally
from shequ.compliance.tallies import tallies_rebuild
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.ledger.models import LedgerRow, SealedVersion
from shequ.plans.models import Plan
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.workflow.submissions import submission_approve, submission_return, submission_submit

from .conftest import TIANSHENG, make_user
from .ledger_helpers import fill_street, open_period, submission

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRES = connection.vendor == "postgresql"
IMPORTER = "shequ-fault-import"  # the killed process's application_name on PostgreSQL
WAIT_SECONDS = 60


# --- an import killed in the middle of its write ---------------------------------------


def district_csv(tmp_path: Path, households: int) -> Path:
    """Every community of the district with new figures: one import, 192 changed rows."""
    path = tmp_path / "北碚区.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["社区代码", "社区名称", "户数", "便民服务中心"])
        for community in Region.objects.filter(level=Level.COMMUNITY).order_by("code"):
            writer.writerow([community.code, community.name, households, 600])
    return path


def database_url() -> str:
    """The test database as the `shequ` command in another process reaches it."""
    db = connection.settings_dict
    if not POSTGRES:
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
        f"?application_name={IMPORTER}"
    )


def start_import(path: Path, *options: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "SHEQU_VAR_DIR": str(settings.VAR_DIR)}
    command = [sys.executable, "-m", "shequ", "import-ledger", str(path), *options]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def imported_rows(period) -> int:
    return LedgerRow.objects.filter(period=period, households=4321).count()


def test_an_import_killed_while_writing_leaves_nothing_and_the_next_one_works(beibei, tmp_path):
    period = open_period("2026H2")
    file = district_csv(tmp_path, households=4321)

    with holding_the_import_mid_write() as written:
        importer = start_import(file, "--period", "2026H2", "--apply")
        try:
            wait_until(written, importer)
        finally:
            importer.send_signal(signal.SIGKILL)
            importer.wait(WAIT_SECONDS)

    assert importer.returncode == -signal.SIGKILL
    assert imported_rows(period) == 0
    assert not AuditEvent.objects.filter(action="ledger.import").exists()

    again = start_import(file, "--period", "2026H2", "--apply")
    out, err = again.communicate(timeout=WAIT_SECONDS)
    assert again.returncode == 0, err.decode()
    assert "已全部写入" in out.decode()
    assert imported_rows(period) == 192
    assert AuditEvent.objects.filter(action="ledger.import").count() == 192


def wait_until(written, importer: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not written():
        if importer.poll() is not None:
            raise AssertionError(importer.stderr.read().decode())
        assert time.monotonic() < deadline, "the import never reached its write"
        time.sleep(0.05)


def holding_the_import_mid_write():
    """Keeps the importer inside its transaction, after it has written, until killed;
    gives a function telling whether it got there."""
    return _held_on_postgres() if POSTGRES else _held_on_sqlite()


@contextmanager
def _held_on_postgres():
    """Another session locks the audit table: the importer updates the ledger rows, then
    waits for that lock to insert their audit rows, its transaction open and written (it
    has a transaction id), until it is killed."""
    with closing(postgres_session()) as locker, closing(postgres_session()) as watcher:
        locker.execute("BEGIN")
        locker.execute("LOCK TABLE core_auditevent IN EXCLUSIVE MODE")

        def written() -> bool:
            return bool(
                watcher.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = %s "
                    "AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL",
                    [IMPORTER],
                ).fetchone()
            )

        yield written
        locker.execute("ROLLBACK")


@contextmanager
def _held_on_sqlite():
    """A reader keeps a read transaction open: the importer takes the write lock and
    changes pages (the rollback journal appears), but cannot commit while a reader is in,
    so it waits, written and uncommitted, until it is killed. Its journal is then hot, and
    the next connection rolls the half-written transaction back."""
    path = Path(connection.settings_dict["NAME"]).resolve()
    journal = path.with_name(path.name + "-journal")
    with closing(sqlite3.connect(path, isolation_level=None)) as reader:
        (mode,) = reader.execute("PRAGMA journal_mode").fetchone()
        if mode.lower() == "wal":
            pytest.skip("WAL 模式下读事务不阻塞提交，无法让导入停在写入中途")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM ledger_ledgerrow").fetchone()

        def written() -> bool:
            # Pages are being changed; let it go on to its commit (the outcome is the
            # same wherever the kill lands, this only lets it write more first).
            if journal.exists():
                time.sleep(1)
                return True
            return False

        yield written
        # The killed importer left its journal behind: it died in the middle of its write.
        assert journal.exists()
        reader.execute("COMMIT")


# --- a database connection lost under a request ---------------------------------------


def wsgi_get(path: str, cookie: str) -> tuple[int, dict, bytes]:
    """One request through Django's WSGI handler as gunicorn serves it: the connection
    housekeeping at the start and end of each request runs (the test client skips it)."""
    environ = RequestFactory().get(path).environ
    environ["HTTP_COOKIE"] = cookie
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    body = WSGIHandler()(environ, start_response)
    try:
        content = b"".join(body)
    finally:
        body.close()  # request_finished: Django closes a connection that failed
    return answer["status"], answer["headers"], content


class cut_connection_at_first_query_of:
    """While active, the first query touching `table` finds its connection gone: on
    PostgreSQL the server ends the session (pg_terminate_backend from another session);
    on SQLite, which has no server, the query fails as a lost connection does."""

    def __init__(self, table: str):
        self.table, self.cut = table, False

    def __enter__(self):
        self.wrapper = connection.execute_wrapper(self)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)

    def __call__(self, execute, sql, params, many, context):
        if not self.cut and self.table in sql:
            self.cut = True
            if not POSTGRES:
                raise OperationalError("unable to open database file")
            terminate(context["connection"].connection.info.backend_pid)
        return execute(sql, params, many, context)


def terminate(pid: int) -> None:
    with closing(postgres_session()) as other:
        # Waits (up to 5 s) until the session is gone.
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def postgres_session():
    """Another session on the test database, beside Django's (autocommit)."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def signed_in(client, district_admin) -> str:
    client.force_login(district_admin)
    open_period("2026H2")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_a_lost_connection_shows_a_clear_page_and_the_next_request_works(signed_in):
    with cut_connection_at_first_query_of("ledger_period") as cut:
        status, headers, page = wsgi_get("/dashboard/", signed_in)
    assert cut.cut
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "数据库暂时无法连接，请稍后重试" in page.decode()

    status, _, page = wsgi_get("/dashboard/", signed_in)
    assert status == 200
    assert "数据库暂时无法连接" not in page.decode()


def test_a_lost_connection_under_the_api_answers_json_and_the_next_call_works(signed_in):
    import json

    with cut_connection_at_first_query_of("ledger_period") as cut:
        status, headers, body = wsgi_get("/api/v1/periods", signed_in)
    assert cut.cut
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["message"].startswith("数据库暂时无法连接")

    status, _, body = wsgi_get("/api/v1/periods", signed_in)
    assert status == 200
    assert json.loads(body)["items"][0]["code"] == "2026H2"


# --- two approvers at once ------------------------------------------------------------


@pytest.fixture
def submitted(beibei, district_approver):
    period = open_period("2024H1")
    fill_street(period, TIANSHENG)
    make_user("qu-approver-2", "500109", Role.APPROVER)
    submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    return period


def at_once(*actions) -> list:
    """Run the actions in threads released together; each gives its result or error."""
    start = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            start.wait()
            results[index] = action()
        except Exception as error:  # the refusal is the result we look at
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    return results


def tallies_consistent(period) -> bool:
    """The dashboards' figures are what a rebuild from the ledgers gives."""

    def figures():
        names = [f.attname for f in Tally._meta.concrete_fields if not f.primary_key]
        return sorted(
            tuple(str(v) for v in row)
            for row in Tally.objects.filter(period=period).values_list(*names)
        )

    before = figures()
    tallies_rebuild(period)
    return figures() == before


@pytest.fixture
def approvers(submitted, district_approver):
    """Two district approvers and the ledger they both have open."""
    from shequ.accounts.models import User

    second = User.objects.get(username="qu-approver-2")
    return scope_for(district_approver), scope_for(second), submission(submitted, TIANSHENG)


def test_two_approvers_at_once_approve_once_with_one_audit_entry(submitted, approvers):
    first, second, ledger = approvers

    results = at_once(
        lambda: submission_approve(scope=first, submission=ledger),
        lambda: submission_approve(scope=second, submission=ledger),
    )

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    assert "当前为“已审核”，不能审核通过" in str(refused[0])
    ledger.refresh_from_db()
    assert ledger.state == "approved" and ledger.approved_version == 1
    assert AuditEvent.objects.filter(action="ledger.approve").count() == 1
    assert SealedVersion.objects.filter(street=ledger.street, period=submitted).count() == 1
    assert no_community_has_two_plans()
    assert tallies_consistent(submitted)


def test_an_approval_and_a_return_at_once_leave_one_decision(submitted, approvers):
    first, second, ledger = approvers

    results = at_once(
        lambda: submission_approve(scope=first, submission=ledger),
        lambda: submission_return(scope=second, submission=ledger, reason="户数有误"),
    )

    assert sum(isinstance(r, DomainError) for r in results) == 1, results
    ledger.refresh_from_db()
    decisions = AuditEvent.objects.filter(action__in=["ledger.approve", "ledger.return"])
    assert decisions.count() == 1
    assert (
        decisions.get().action == f"ledger.{'approve' if ledger.state == 'approved' else 'return'}"
    )
    assert tallies_consistent(submitted)


def no_community_has_two_plans() -> bool:
    from django.db.models import Count

    return not Plan.objects.values("community").annotate(n=Count("pk")).filter(n__gt=1).exists()
