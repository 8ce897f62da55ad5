"""One gate per question, for imports (issue 24, item 3): for every persona, the ledger's
pages offer importing exactly where the import takes it — who may import at all
(`may_import`: the upload page, the ledger home, the blank template), and which rows an
import of theirs may write (`may_import_row`: the grid's link, `import_apply`), over rows in
and out of their node, of ledgers open and submitted."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.accounts.scope import operator_scope, scope_for
from shequ.ledger.importing.apply import import_apply
from shequ.ledger.importing.files import read_sheets
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.permissions import may_import, may_import_row
from shequ.ledger.rows import rows_visible_to
from shequ.workflow.ledger_files import plan_import
from shequ.workflow.submissions import submission_submit

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU
from .gates import service_allows
from .import_fixtures import xlsx
from .ledger_helpers import fill_street, open_period, submission

pytestmark = pytest.mark.django_db

PERIOD = "2026H2"


@pytest.fixture
def rows(beibei) -> dict[str, LedgerRow]:
    """新星路's row and another of 天生街道 (a draft), and one of 澄江镇 (submitted)."""
    period = open_period(PERIOD, deadline=datetime.date(2099, 12, 31))
    fill_street(period, CHENGJIANG, households=1000, service_center="320.0")
    submission_submit(scope=operator_scope(), submission=submission(period, CHENGJIANG))
    tiansheng = LedgerRow.objects.filter(period=period, street__code=TIANSHENG)
    return {
        "xinxinglu": tiansheng.get(community__code=XINXINGLU),
        "tiansheng": tiansheng.exclude(community__code=XINXINGLU).order_by("pk").first(),
        "chengjiang": LedgerRow.objects.filter(period=period, street__code=CHENGJIANG).first(),
    }


def one_row_file(row: LedgerRow) -> bytes:
    header = ["街镇", "社区名称", "辖区户籍人口总户数", "便民服务中心"]
    return xlsx({"台账": [header, [row.street.name, row.community.name, 1200, 400]]})


def imported(scope, row: LedgerRow) -> None:
    """What the upload and its confirmation do: plan the file, then apply it."""
    name = "台账.xlsx"
    sheets = read_sheets(one_row_file(row), name)
    plan = plan_import(scope=scope, period=row.period, sheets=sheets, filename=name)
    import_apply(scope=scope, plan=plan)


def test_an_import_is_offered_exactly_where_import_apply_takes_it(client, people, rows):
    taken, grids = set(), set()
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        for key, row in rows.items():
            ledger = Submission.objects.filter(period=row.period, street=row.street).first()
            may = may_import_row(scope, row, ledger)
            allowed = scope.node is not None and service_allows(
                lambda scope=scope, row=row: imported(scope, row)
            )
            assert may == allowed, (name, key)
            if may:
                taken.add((name, key))
            grid = client.get(f"/ledger/{PERIOD}/{row.street.code}/")
            if grid.status_code == 200:  # offered where some row of the grid may be imported
                here = rows_visible_to(scope).filter(period=row.period, street=row.street)
                some = any(may_import_row(scope, r, ledger) for r in here)
                offered = 'data-testid="import-link"' in grid.content.decode()
                assert offered == some, (name, key)
                grids.add((name, row.street.code, offered))
    assert ("xinxinglu-editor", "xinxinglu") in taken and ("qu-admin", "tiansheng") in taken
    assert ("tiansheng-editor", "xinxinglu") in taken
    assert not any(key == "chengjiang" for _, key in taken)  # submitted: nobody's
    assert not any(name in ("qu-viewer", "qu-approver", "tiansheng-approver") for name, _ in taken)
    # The district's administrators import the files streets send them: from the grid too.
    assert ("qu-admin", TIANSHENG, True) in grids and ("qu-admin", CHENGJIANG, False) in grids


def test_a_community_imports_its_own_row_from_the_file_its_street_names(client, people, rows):
    """The import looked for the file's street below the community itself and never found
    it, though the page offered the import and the blank template names the street."""
    client.force_login(people["xinxinglu-editor"])
    sent = client.post(
        f"/ledger/{PERIOD}/import/",
        {"file": SimpleUploadedFile("台账.xlsx", one_row_file(rows["xinxinglu"]))},
        follow=True,
    )
    assert 'data-testid="apply"' in sent.content.decode()
    token = sent.resolver_match.kwargs["token"]
    done = client.post(f"/ledger/{PERIOD}/import/{token}/apply/", follow=True)
    assert "写入 1 行" in done.content.decode()
    assert LedgerRow.objects.get(pk=rows["xinxinglu"].pk).households == 1200


def test_the_import_pages_open_exactly_to_those_who_may_import(client, people, rows):
    for name, user in people.items():
        scope = scope_for(user)
        client.force_login(user)
        may = scope.node is not None and may_import(scope)
        upload = client.get(f"/ledger/{PERIOD}/import/")
        assert (upload.status_code == 200) == may, name
        assert upload.status_code in (200, 403, 404), name
        template = client.get(f"/ledger/{PERIOD}/import/template.xlsx")
        assert (template.status_code == 200) == may, name
        sent = client.post(
            f"/ledger/{PERIOD}/import/",
            {"file": SimpleUploadedFile("台账.xlsx", one_row_file(rows["xinxinglu"]))},
        )
        assert (sent.status_code == 302) == may, name
        home = client.get(f"/ledger/?period={PERIOD}")
        if home.status_code == 200:  # the district's users: the others go to their grid
            assert ('data-testid="import-link"' in home.content.decode()) == may, name
