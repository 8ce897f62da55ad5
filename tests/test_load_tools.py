"""The pieces of `make load` that need no server: who edits which rows, what the simulated
users read off the pages, and the readback's verdict (load/)."""

import datetime

import pytest
from django.urls import reverse

from load.figures import Timing, summary
from load.pages import grid_rows, saved_version
from load.plan import slots, users_per_street
from load.readback import Write, compare

from .conftest import TIANSHENG
from .ledger_helpers import open_period

BEIBEI_LIKE = {"s1": 10, "s2": 3, "s3": 25, "s4": 1}


def test_every_street_gets_a_user_and_no_street_more_users_than_rows():
    share = users_per_street(BEIBEI_LIKE, 20)
    assert sum(share.values()) == 20
    assert all(1 <= share[code] <= n for code, n in BEIBEI_LIKE.items())
    assert share["s3"] > share["s1"] > share["s2"]


def test_more_users_than_rows_is_refused():
    with pytest.raises(ValueError):
        users_per_street(BEIBEI_LIKE, 40)


def test_the_users_of_a_street_share_its_rows_without_overlap():
    rows = {code: list(range(n)) for code, n in BEIBEI_LIKE.items()}
    owned: dict[str, list[int]] = {code: [] for code in BEIBEI_LIKE}
    for slot in slots(BEIBEI_LIKE, 20):
        owned[slot.street] += slot.owns(rows[slot.street])
    assert {code: sorted(found) for code, found in owned.items()} == rows


def test_a_clean_run_reads_back_every_acknowledged_write_once():
    writes = [Write(1, "a", 200), Write(1, "b", 200), Write(2, "c", 200)]
    result = compare(writes, [(1, "a"), (1, "b"), (2, "c")], {1: "b", 2: "c"})
    assert result.ok and result.acknowledged == 3


def test_the_readback_counts_lost_doubled_stray_and_stale_values():
    writes = [Write(1, "a", 200), Write(1, "b", 200), Write(2, "c", 200), Write(3, "d", 0)]
    recorded = [(1, "a"), (2, "c"), (2, "c"), (4, "x"), (3, "d")]
    result = compare(writes, recorded, {1: "a", 2: "c"})
    assert (result.lost, result.doubled, result.stray) == (1, 1, 1)
    assert result.final_mismatch == 1  # row 1 holds "a", the last acknowledged was "b"
    assert result.unacknowledged_landed == 1 and not result.ok


@pytest.mark.django_db
def test_the_simulated_user_posts_what_the_grid_shows_and_reads_the_new_version(
    client, tiansheng_editor
):
    open_period("2026H2", deadline=datetime.date(2099, 12, 31))
    client.force_login(tiansheng_editor)
    page = client.get(reverse("ledger_grid", args=["2026H2", TIANSHENG])).content.decode()
    rows = grid_rows(page)
    assert len(rows) == 10
    row, fields = next(iter(rows.items()))
    assert {"version", "households", "service_center", "remarks"} <= set(fields)
    fields["remarks"] = "压测-唯一值"
    answer = client.post(
        reverse("ledger_row_save", args=[row]), fields, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert saved_version(answer, row) == str(int(fields["version"]) + 1)


def test_the_figures_are_exact_nearest_ranks_over_every_response():
    timings = [Timing("保存单元格", 1000 + ms / 10, float(ms), ms == 7) for ms in range(1, 201)]
    timings.append(Timing("登录", 1000.0, 5000.0, False))
    figures = summary(timings, login="登录")
    rest = figures["without_login"]
    assert (rest["requests"], rest["errors"]) == (200, 1)
    assert (rest["p50_ms"], rest["p95_ms"], rest["p99_ms"]) == (100, 190, 198)
    assert figures["total"]["p99_ms"] == 199 and figures["by_kind"]["登录"]["requests"] == 1
    assert figures["total"]["per_second"] == round(201 / 20.2, 2)  # 1000.0 … 1020.2 s
