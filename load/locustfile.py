"""The deadline day, as locust plays it (started by load/run.py, which sets the environment).

100 street users open their street's grid, save their own rows with unique values (filling
in the explanation a warning asks for, as a person must before submitting) and, once every
user of a street is done, the street's approver submits; 10 district users meanwhile open
the dashboards. Each user thinks 3–10 s between actions. Every save is logged (row, value,
status) to LOAD_WRITES for the readback.
"""

from __future__ import annotations

import json
import os
import random
import sys
from itertools import count
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load.pages import LoopbackCookieJar, grid_rows, saved_version
from load.plan import Slot, slots

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
WRITES = Path(os.environ["LOAD_WRITES"])
TIMINGS = Path(os.environ["LOAD_TIMINGS"])
PASSWORD = PLAN["password"]
PERIOD = PLAN["period"]
SLOTS: list[Slot] = slots(PLAN["communities"], PLAN["street_users"])
# A warning's explanation, typed by the simulated user before submitting.
EXPLANATION = "压测：已核实，情况属实"


_slot_numbers = count()
_finished: dict[str, int] = {}
_users_done = count(1)
_district_logins = count()


class _Browser(HttpUser):
    """Logs in like the login page does; sends what nginx and a browser would add."""

    abstract = True
    wait_time = between(3, 10)

    def login(self, username: str) -> None:
        self.client.cookies = LoopbackCookieJar()
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "Origin": f"https://{self.host.split('://')[1]}"}
        )
        self.client.get("/accounts/login/", name="登录页")
        data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf}
        with self.client.post(
            "/accounts/login/", data, name="登录", catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {username} refused ({response.status_code})")

    def page(self, path: str, name: str):
        """GET a page; being sent to the login page instead is a failure."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if "/accounts/login/" in response.url:
                response.failure("sent to the login page")
            return response

    @property
    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")


class StreetUser(_Browser):
    fixed_count = PLAN["street_users"]

    def on_start(self):
        self.slot = SLOTS[next(_slot_numbers)]
        self.grid = f"/ledger/{PERIOD}/{self.slot.street}/"
        self.login(f"{self.slot.street}-editor")
        self.fields: dict[int, dict[str, str]] = {}
        self.steps = iter(self._plan())

    def _plan(self):
        """Open the grid, save each own row in turn (reopening the grid now and then, as
        people do), then finish."""
        yield self.open_grid
        # Every own row at least once: a warning left unexplained would block the submission.
        for round_ in range(max(PLAN["saves_per_user"], len(self.fields))):
            if round_ and round_ % 3 == 0:
                yield self.open_grid
            yield lambda round_=round_: self.save_next(round_)
        yield self.finish

    @task
    def next_step(self):
        # A user whose work is over stays, idle: locust would replace a stopped user with a
        # new one to keep the user count, and that one would have no street to work on.
        step = next(self.steps, None)
        if step is not None:
            step()

    def open_grid(self):
        rows = grid_rows(self.page(self.grid, "街镇台账表").text)
        own = self.slot.owns(sorted(rows))
        if not own:
            # The grid failed to load (an error already): stop here; the street will not be
            # submitted, and the readback says so.
            self.steps = iter(())
            return
        self.fields = {row: rows[row] for row in own}

    def save_next(self, round_: int) -> None:
        rows = sorted(self.fields)
        row = rows[round_ % len(rows)]
        fields = self.fields[row]
        value = f"压测-{self.slot.street}-{self.slot.index:02d}-{round_:02d}-{row}"
        fields["remarks"] = value
        for name in fields:
            if name.startswith("comment-") and not fields[name]:
                fields[name] = EXPLANATION
        status = 0
        try:
            with self.client.post(
                f"/ledger/rows/{row}/",
                fields,
                headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
                name="保存单元格",
                catch_response=True,
            ) as response:
                status = response.status_code
                version = saved_version(response.text, row) if status == 200 else None
                if version is None:
                    response.failure(f"save of row {row} answered {status}")
                else:
                    fields["version"] = version
        finally:
            _log_write(row, value, status)

    def finish(self):
        """The last user of a street to finish has the street's approver submit."""
        street = self.slot.street
        _finished[street] = _finished.get(street, 0) + 1
        if _finished[street] == self.slot.mates:
            self.submit()
        if next(_users_done) == PLAN["street_users"]:
            # Every street user is done: the run ends here, before --run-time if need be.
            # From another greenlet: quit() stops every user, this one included.
            gevent.spawn(self.environment.runner.quit)

    def submit(self):
        self.client.post("/accounts/logout/", headers={"X-CSRFToken": self.csrf}, name="退出")
        self.login(f"{self.slot.street}-approver")
        self.page(self.grid, "街镇台账表")
        with self.client.post(
            f"{self.grid}submit/",
            {"csrfmiddlewaretoken": self.csrf},
            name="上报",
            catch_response=True,
        ) as response:
            if "已上报" not in response.text or "暂不能上报" in response.text:
                response.failure(f"{self.slot.street} could not submit")


def _log_write(row: int, value: str, status: int) -> None:
    line = json.dumps({"row": row, "value": value, "status": status}, ensure_ascii=False)
    with WRITES.open("a", encoding="utf-8") as log:
        log.write(line + "\n")


class DistrictUser(_Browser):
    fixed_count = PLAN["district_users"]

    def on_start(self):
        accounts = PLAN["district_accounts"]
        self.login(accounts[next(_district_logins) % len(accounts)])

    @task(3)
    def district_dashboard(self):
        self.page("/dashboard/", "区级看板")

    @task(2)
    def progress_dashboard(self):
        # On the deadline day the district watches the open period, unapproved included.
        self.page(f"/dashboard/?period={PERIOD}&all=1", "区级看板（含未审核）")

    @task(3)
    def street_dashboard(self):
        street = random.choice(sorted(PLAN["communities"]))
        self.page(f"/dashboard/{street}/", "街镇看板")

    @task(1)
    def ledger_overview(self):
        self.page(f"/ledger/?period={PERIOD}", "台账总览")


@events.test_start.add_listener
def _fresh_log(**_):
    WRITES.write_text("", encoding="utf-8")


_timings: list[list] = []


@events.request.add_listener
def _record(name, start_time, response_time, exception=None, **_):
    # Every response, for exact figures of any subset (load/figures.py).
    _timings.append([name, start_time, response_time, exception is not None])


@events.test_stop.add_listener
def _write_timings(**_):
    TIMINGS.write_text(json.dumps(_timings, ensure_ascii=False), encoding="utf-8")
