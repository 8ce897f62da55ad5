"""Tamper evidence: the chain, and `shequ verify-ledger` naming what was altered."""

import io
import json

import pytest
from django.core.management import call_command

from shequ.ledger.fingerprint import canonical_form, chain_fingerprint, ledger_verify
from shequ.ledger.models import LedgerRow, SealedVersion

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import approve_street, open_period, street_rows


@pytest.fixture
def two_periods(beibei):
    first = open_period("2024H1")
    approve_street(first, TIANSHENG, households=3000, service_center="700.0")
    approve_street(first, CHENGJIANG)
    second = open_period("2024H2")
    approve_street(second, TIANSHENG, households=3050, service_center="700.0")
    return first, second


def verify(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify-ledger", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_each_approval_is_chained_to_the_streets_previous_fingerprint(two_periods):
    chain = list(SealedVersion.objects.filter(street=region(TIANSHENG)).order_by("sequence"))
    assert [v.period.code for v in chain] == ["2024H1", "2024H2"]
    assert chain[0].previous_fingerprint == ""
    assert chain[1].previous_fingerprint == chain[0].fingerprint
    assert chain[1].fingerprint == chain_fingerprint(chain[0].fingerprint, chain[1].snapshot)
    assert len(chain[1].fingerprint) == 64


def test_the_canonical_form_sorts_rows_and_writes_areas_with_one_decimal(two_periods):
    first, _ = two_periods
    body = json.loads(canonical_form(first, TIANSHENG, list(street_rows(first, TIANSHENG))))
    assert body["fields"][:3] == ["households", "resident_households", "service_center"]
    codes = [row[0] for row in body["rows"]]
    assert codes == sorted(codes) and codes[0] == XINXINGLU
    assert body["rows"][0][1:4] == [3000, None, "700.0"]


def test_a_clean_ledger_verifies(two_periods):
    code, output = verify()
    assert code == 0
    assert "核验 2 条指纹链、3 个审核版本、3 份已审核台账：全部一致" in output


def test_a_row_altered_directly_in_the_database_is_named(two_periods):
    _, second = two_periods
    LedgerRow.objects.filter(period=second, community__code=XINXINGLU).update(households=9999)
    code, output = verify()
    assert code == 1
    assert (
        "2024H2 天生街道 新星路社区居民委员会（500109001028） households：审核时为 3050，现为 9999"
        in output
    )
    assert verify("--period", "2024H1")[0] == 0


def test_an_altered_seal_breaks_the_chain(two_periods):
    first, _ = two_periods
    sealed = SealedVersion.objects.get(street=region(TIANSHENG), period=first)
    SealedVersion.objects.filter(pk=sealed.pk).update(
        snapshot=sealed.snapshot.replace("3000", "3001")
    )
    report = ledger_verify()
    fields = {(p.period, p.field) for p in report.problems}
    assert ("2024H1", "指纹") in fields
    assert ("2024H1", "households") in fields  # the live rows no longer match the seal either


def test_json_output_lists_the_problems(two_periods, capsys):
    _, second = two_periods
    LedgerRow.objects.filter(period=second, community__code=XINXINGLU).update(remarks="改过")
    with pytest.raises(SystemExit):
        call_command("verify-ledger", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert document["problems"] == [
        {
            "period": "2024H2",
            "street": "天生街道",
            "community": "新星路社区居民委员会（500109001028）",
            "field": "remarks",
            "message": "审核时为 空，现为 改过",
        }
    ]


def test_a_street_user_verifies_only_its_street(two_periods, tiansheng_approver, capsys):
    call_command("verify-ledger", "--json", "--as", "tiansheng-approver")
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] and document["chains"] == 1 and document["ledgers"] == 2
