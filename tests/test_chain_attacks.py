"""Issue 25, finding 6: someone with write access to the database rewrites the fingerprint
chain as an attacker would, with SQL and hashlib but without the chain key, and
`verify-ledger` must exit 1 (or, where only a copy outside the system can tell, the
published head must stop verifying)."""

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from shequ.accounts.scope import operator_scope
from shequ.core.models import AuditEvent, Notification
from shequ.ledger.fingerprint import (
    canonical_form,
    chain_fingerprint,
    chain_head,
    header_of,
    seal_record,
    street_rows,
)
from shequ.ledger.models import ChainHead, LedgerRow, SealedVersion, Submission
from shequ.ledger.verify import head_check, ledger_verify
from shequ.workflow.submissions import submission_reopen

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import approve_street, open_period, submission

VERSIONS = 6  # 天生街道's 2024H1 ledger, approved and reopened again and again


@pytest.fixture
def chain(beibei, tiansheng_approver):
    """澄江镇 approved first; then 天生街道 approved six times (the district's last links)."""
    period = open_period("2024H1")
    approve_street(period, CHENGJIANG)
    for version in range(1, VERSIONS + 1):
        if version > 1:
            submission_reopen(
                scope=operator_scope(), submission=submission(period, TIANSHENG), reason="更正"
            )
        approve_street(period, TIANSHENG, households=3000 + version, service_center="700.0")
    return period


def verify(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify-ledger", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def published_head() -> str:
    """The head as the last approval's notice carried it (a copy outside the database)."""
    notice = Notification.objects.filter(kind=Notification.Kind.APPROVED).latest("pk")
    return notice.message.rsplit("台帐指纹链头：", 1)[1]


def street_chain(code: str) -> list[SealedVersion]:
    return list(
        SealedVersion.objects.filter(street=region(code))
        .select_related("street", "period")
        .order_by("sequence")
    )


def forged(previous_fingerprint: str, version: SealedVersion, snapshot: str) -> str:
    """The best an attacker without the key can do for a keyed seal: SHA-256 of what the
    HMAC covers."""
    header = header_of(version)
    header = header.__class__(**{**header.__dict__, "previous": previous_fingerprint})
    return hashlib.sha256(f"shequ-seal/2\n{header.text()}\n{snapshot}".encode()).hexdigest()


def rewrite_audit_fingerprint(version: SealedVersion, fingerprint: str) -> None:
    for event in AuditEvent.objects.filter(action="ledger.approve"):
        recorded = event.changes.get("seal", {})
        if recorded.get("fingerprint") == version.fingerprint:
            event.changes["seal"]["fingerprint"] = fingerprint
            AuditEvent.objects.filter(pk=event.pk).update(changes=event.changes)


def rewrite_from(period, version_number: int, *, downgrade: bool) -> None:
    """Attack 1, thoroughly: the approved cell changed; that seal and every later seal of
    the street recomputed with hashlib (the old formula when `downgrade`, passing them off
    as seals from before issue 25), the district links, the stored head and the audit
    entries' fingerprints made to agree."""
    LedgerRow.objects.filter(period=period, community__code=XINXINGLU).update(households=9999)
    snapshot = canonical_form(period, TIANSHENG, street_rows(period, region(TIANSHENG).pk))
    previous = ""
    for version in street_chain(TIANSHENG):
        if version.version >= version_number:
            version.snapshot = snapshot
            if downgrade:
                fingerprint = chain_fingerprint(previous, snapshot)
                extra = {"scheme": 1, "key_id": "", "district_sequence": None}
                extra["district_previous"] = ""
            else:
                fingerprint = forged(previous, version, snapshot)
                extra = {}
            rewrite_audit_fingerprint(version, fingerprint)
            SealedVersion.objects.filter(pk=version.pk).update(
                snapshot=snapshot, previous_fingerprint=previous, fingerprint=fingerprint, **extra
            )
            previous = fingerprint
        else:
            previous = version.fingerprint
    relink_district_chain()


def relink_district_chain() -> None:
    """The district links made to follow whatever the street chains now hold, and the
    stored head set to the last one."""
    previous, sequence = "", 0
    for link in SealedVersion.objects.filter(scheme=2).order_by("district_sequence"):
        sequence += 1
        SealedVersion.objects.filter(pk=link.pk).update(
            district_sequence=sequence, district_previous=previous
        )
        previous = link.fingerprint
    ChainHead.objects.update(sequence=sequence, fingerprint=previous)


@pytest.mark.parametrize("from_version", [1, 3, VERSIONS])
def test_a_cell_changed_and_its_seal_and_all_later_ones_recomputed_is_found(chain, from_version):
    head = published_head()
    assert verify()[0] == 0 and head_check(head).ok
    rewrite_from(chain, from_version, downgrade=False)
    code, output = verify()
    assert code == 1
    assert (
        f"2024H1 天生街道 指纹：第{from_version}版的封存内容、链序、审核人或审核时间与指纹不符"
        in (output)
    )
    # The head published before the attack is gone from the chain.
    check = head_check(head)
    assert not check.ok and "不在台帐指纹链中" in check.message


def test_a_rewritten_street_passed_off_as_seals_from_before_the_upgrade_is_found(chain):
    """The downgrade: every seal of the street recomputed with the old, unkeyed formula.
    The district chain's first link covers the old seals as they stood."""
    head = published_head()
    rewrite_from(chain, 1, downgrade=True)
    code, output = verify()
    assert code == 1
    assert "第1环记录的旧封存锚点与现存的旧方式封存不符" in output
    assert not head_check(head).ok


def test_a_later_seal_passed_off_as_an_old_one_is_found(chain):
    rewrite_from(chain, 4, downgrade=True)
    code, output = verify()
    assert code == 1
    assert "2024H1 天生街道 封存方式：第4版标为旧方式，却在带密钥的封存之后" in output


def set_back(period) -> None:
    """Attack 2: the street's latest seal deleted and its submission set back to 已上报."""
    latest = street_chain(TIANSHENG)[-1]
    SealedVersion.objects.filter(pk=latest.pk).delete()
    Submission.objects.filter(period=period, street=region(TIANSHENG)).update(
        state=Submission.State.SUBMITTED, approved_version=VERSIONS - 1
    )


def test_a_deleted_latest_seal_with_the_submission_set_back_is_found(chain):
    set_back(chain)
    code, output = verify()
    assert code == 1
    assert "链头：记录的链头与区级链的最后一环不符" in output
    # The stored head set back as well: the approval is still on record.
    relink_district_chain()
    code, output = verify()
    assert code == 1
    assert f"2024H1 天生街道 封存记录：第{VERSIONS}版已于" in output
    assert "却没有封存记录：封存可能被删除" in output


def test_only_the_published_head_tells_a_truncated_chain_whose_approval_was_erased(chain):
    """The limit of what the database can tell about itself: the latest seal, its stored
    head and its audit entry all deleted leave a shorter chain that is consistent. The head
    carried by the approval notice (or printed on a stamped ledger) no longer verifies."""
    head = published_head()
    set_back(chain)
    relink_district_chain()
    AuditEvent.objects.filter(
        action="ledger.approve", changes__approved_version=VERSIONS, target_type="submission"
    ).delete()
    assert verify()[0] == 0
    code, output = verify("--head", head)
    assert code == 1
    assert f"链头 {head[:16]}… 不在台帐指纹链中" in output


def test_a_deleted_seal_inside_the_chain_breaks_the_district_chain(chain):
    middle = street_chain(TIANSHENG)[2]
    SealedVersion.objects.filter(pk=middle.pk).delete()
    code, output = verify()
    assert code == 1
    assert "区级链序：应为第4环，实为第5环" in output


@pytest.mark.parametrize("audit_too", [False, True])
def test_a_changed_approver_or_time_is_found(chain, audit_too):
    """Attack 3: who approved and when, changed in the seal (and in its audit entry)."""
    version = street_chain(TIANSHENG)[2]
    moment = version.sealed_at.replace(year=2023)
    SealedVersion.objects.filter(pk=version.pk).update(sealed_by="他人", sealed_at=moment)
    if audit_too:
        version.sealed_by, version.sealed_at = "他人", moment
        for event in AuditEvent.objects.filter(action="ledger.approve"):
            if event.changes.get("seal", {}).get("fingerprint") == version.fingerprint:
                event.changes["seal"] = seal_record(version)
                AuditEvent.objects.filter(pk=event.pk).update(actor="他人", changes=event.changes)
    code, output = verify()
    assert code == 1
    assert "2024H1 天生街道 指纹：第3版的封存内容、链序、审核人或审核时间与指纹不符" in output
    if not audit_too:
        assert "2024H1 天生街道 审核人：第3版封存为 他人，操作记录为 命令行" in output


# ------------------------------------------------------------------- the published head


def test_a_published_head_verifies_and_stays_valid_after_later_approvals(chain):
    head = published_head()
    assert head == chain_head().fingerprint
    code, output = verify("--head", head)
    assert code == 0
    assert f"链头 {head[:16]}… 是第{VERSIONS + 1}环" in output and "其后 0 环均由它接续" in output
    open_period("2024H2")
    approve_street(open_period_code("2024H2"), CHENGJIANG)
    code, output = verify("--head", head[:16])  # the first 16 digits are enough
    assert code == 0
    assert "其后 1 环均由它接续" in output


def open_period_code(code: str):
    from shequ.ledger.models import Period

    return Period.objects.get(code=code)


def test_a_head_that_was_never_in_the_chain_is_refused(chain):
    code, output = verify("--head", "0" * 64)
    assert code == 1
    assert "链头 0000000000000000… 不在台帐指纹链中" in output


@pytest.mark.parametrize("given", ["xyz", "abc123", "g" * 64])
def test_something_that_is_not_a_head_is_refused_in_chinese(chain, given):
    with pytest.raises(CommandError, match="无效：应为 16 到 64 位十六进制数字"):
        call_command("verify-ledger", "--head", given, stdout=io.StringIO())


def test_the_json_answer_carries_the_head_check(chain, capsys):
    head = published_head()
    call_command("verify-ledger", "--json", "--head", head)
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True
    assert document["chain_head"] == head
    assert document["head_check"]["ok"] is True
    assert document["head_check"]["sequence"] == VERSIONS + 1


# ------------------------------------------------------------ the key, and old seals


def test_seals_made_with_another_key_are_named_as_such(chain):
    with override_settings(SHEQU_CHAIN_KEY="another-key-" + "0" * 40):
        code, output = verify()
    assert code == 1
    assert "密钥：第1版由另一把密钥封存" in output


def as_before_issue_25() -> None:
    """Every seal as an older release left it: SHA-256 only, no district link, no head,
    approvals recorded without their seal."""
    for street in {v.street_id for v in SealedVersion.objects.all()}:
        previous = ""
        for version in SealedVersion.objects.filter(street_id=street).order_by("sequence"):
            fingerprint = chain_fingerprint(previous, version.snapshot)
            SealedVersion.objects.filter(pk=version.pk).update(
                scheme=1,
                key_id="",
                district_sequence=None,
                district_previous="",
                previous_fingerprint=previous,
                fingerprint=fingerprint,
            )
            previous = fingerprint
    ChainHead.objects.all().delete()
    for event in AuditEvent.objects.filter(action="ledger.approve"):
        event.changes.pop("seal", None)
        AuditEvent.objects.filter(pk=event.pk).update(changes=event.changes)


def test_seals_from_before_the_upgrade_still_verify_and_are_anchored_by_the_next(chain):
    as_before_issue_25()
    assert chain_head() is None
    assert verify()[0] == 0
    second = open_period("2024H2")
    approve_street(second, TIANSHENG, households=3000 + VERSIONS, service_center="700.0")
    assert verify()[0] == 0
    first_keyed = SealedVersion.objects.get(scheme=2)
    assert first_keyed.district_sequence == 1 and first_keyed.district_previous != ""
    assert first_keyed.previous_fingerprint == street_chain(TIANSHENG)[-2].fingerprint
    # An old seal rewritten with the old formula, down to its street's last one.
    old = street_chain(CHENGJIANG)[0]
    snapshot = old.snapshot.replace(",2000,", ",2001,", 1)
    assert snapshot != old.snapshot
    SealedVersion.objects.filter(pk=old.pk).update(
        snapshot=snapshot, fingerprint=chain_fingerprint("", snapshot)
    )
    code, output = verify()
    assert code == 1
    assert "第1环记录的旧封存锚点与现存的旧方式封存不符" in output


def test_an_old_approval_recorded_by_someone_else_is_found(chain):
    as_before_issue_25()
    AuditEvent.objects.filter(action="ledger.approve").update(actor="他人")
    code, output = verify()
    assert code == 1
    assert "审核人：第1版封存为 命令行，操作记录为 他人" in output


def test_the_approval_records_its_seal_and_its_notice_carries_the_head(chain):
    latest = street_chain(TIANSHENG)[-1]
    event = AuditEvent.objects.filter(action="ledger.approve").latest("pk")
    assert event.changes["seal"] == seal_record(latest)
    notice = Notification.objects.filter(kind=Notification.Kind.APPROVED).latest("pk")
    assert notice.message == (
        f"天生街道2024年上半年台账已审核通过（第{VERSIONS}版）。台帐指纹链头：{latest.fingerprint}"
    )
    assert ledger_verify().ok


@pytest.mark.parametrize(
    "snapshot", ["not json", "[]", '{"fields":["households"],"rows":[["1",2,3]]}']
)
def test_a_seal_whose_content_cannot_be_read_is_named_not_a_traceback(chain, snapshot):
    latest = street_chain(TIANSHENG)[-1]
    SealedVersion.objects.filter(pk=latest.pk).update(snapshot=snapshot)
    code, output = verify()
    assert code == 1
    assert f"2024H1 天生街道 封存内容：第{VERSIONS}版的封存内容无法读取" in output


def test_a_seal_with_fewer_fields_names_what_it_lacks(chain):
    latest = street_chain(TIANSHENG)[-1]
    body = json.loads(latest.snapshot)
    body["fields"] = body["fields"][:1]
    body["rows"] = [row[:2] for row in body["rows"]]
    SealedVersion.objects.filter(pk=latest.pk).update(snapshot=json.dumps(body))
    code, output = verify()
    assert code == 1
    assert f"2024H1 天生街道 指纹：第{VERSIONS}版的封存内容" in output
