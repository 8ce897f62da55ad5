"""Tamper evidence: the chain, and `shequ verify-ledger` naming what was altered."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.ledger.fingerprint import (
    canonical_form,
    chain_head,
    chain_key,
    header_of,
    key_id,
    keyed_fingerprint,
)
from shequ.ledger.models import ChainHead, LedgerRow, SealedVersion
from shequ.ledger.verify import ledger_verify

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


def test_each_approval_is_chained_to_the_streets_and_the_districts_previous_fingerprint(
    two_periods,
):
    chain = list(SealedVersion.objects.filter(street=region(TIANSHENG)).order_by("sequence"))
    assert [v.period.code for v in chain] == ["2024H1", "2024H2"]
    assert chain[0].previous_fingerprint == ""
    assert chain[1].previous_fingerprint == chain[0].fingerprint
    key = chain_key()
    assert chain[1].fingerprint == keyed_fingerprint(key, header_of(chain[1]), chain[1].snapshot)
    assert chain[1].scheme == SealedVersion.Scheme.KEYED and chain[1].key_id == key_id(key)
    assert len(chain[1].fingerprint) == 64
    # The district chain: 天生 2024H1, 澄江 2024H1, 天生 2024H2, each after the one before.
    district = list(SealedVersion.objects.order_by("district_sequence"))
    assert [v.district_sequence for v in district] == [1, 2, 3]
    assert district[0].district_previous == ""  # no seal from before issue 25 to anchor
    assert district[2].district_previous == district[1].fingerprint
    assert chain_head().fingerprint == district[2].fingerprint == chain[1].fingerprint
    assert ChainHead.objects.get().sequence == 3


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
    assert f"当前台帐指纹链头：{chain_head().fingerprint}（第3环，" in output


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
    assert document["chain_head"] == chain_head().fingerprint
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


def test_verifying_reads_each_table_once_whatever_the_number_of_seals(two_periods):
    """The chains, the district chain, the audit trail and the live rows are each read in
    one query, whatever the number of seals and approved ledgers."""

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert ledger_verify().ok
        return len(captured)

    before = queries()
    _, second = two_periods
    approve_street(second, CHENGJIANG)
    assert queries() == before
