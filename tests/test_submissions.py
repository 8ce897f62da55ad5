"""Submission transitions: who, from which state, blockers, lateness, versions, audit."""

import datetime

import pytest
from django.utils import timezone

from shequ.accounts.scope import operator_scope, scope_for
from shequ.compliance.targets import thresholds_for
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.models import AuditEvent
from shequ.ledger.fingerprint import sealed_diff
from shequ.ledger.models import SealedVersion
from shequ.ledger.periods import period_close, period_extend
from shequ.ledger.rows import row_update
from shequ.ledger.submissions import SubmissionBlocked, submission_blockers
from shequ.workflow.submissions import (
    submission_approve,
    submission_reopen,
    submission_return,
    submission_submit,
)

from .conftest import CHENGJIANG, TIANSHENG, XINXINGLU, region
from .ledger_helpers import fill_street, open_period, street_rows, submission


def at(day: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(f"{day} 10:00"))


@pytest.fixture
def filled(beibei):
    period = open_period("2024H1")
    fill_street(period, TIANSHENG)
    return period


def test_the_street_approver_submits_and_the_district_approver_approves(
    filled, tiansheng_approver, district_approver
):
    sub = submission_submit(
        scope=scope_for(tiansheng_approver),
        submission=submission(filled, TIANSHENG),
        now=at("2024-04-20"),
    )
    assert sub.state == "submitted" and sub.submitted_by == tiansheng_approver and not sub.late
    sub = submission_approve(scope=scope_for(district_approver), submission=sub)
    assert sub.state == "approved" and sub.approved_version == 1
    assert sub.decided_by == district_approver
    actions = list(
        AuditEvent.objects.filter(target_type="submission").values_list("action", "actor")
    )
    assert actions == [("ledger.approve", "qu-approver"), ("ledger.submit", "tiansheng-approver")]
    approve = AuditEvent.objects.get(action="ledger.approve")
    sealed = SealedVersion.objects.get(street=region(TIANSHENG))
    assert approve.changes == {
        "state": ["submitted", "approved"],
        "approved_version": 1,
        # What verify-ledger compares the seal with (ADR 0039).
        "seal": {
            "by": "qu-approver",
            "at": sealed.sealed_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
            "fingerprint": sealed.fingerprint,
        },
    }


def test_editors_and_viewers_cannot_submit(filled, tiansheng_editor, district_viewer):
    for user in (tiansheng_editor, district_viewer):
        with pytest.raises(NotAllowed):
            submission_submit(scope=scope_for(user), submission=submission(filled, TIANSHENG))


def test_a_street_approver_cannot_approve_its_own_ledger(filled, tiansheng_approver):
    sub = submission_submit(
        scope=scope_for(tiansheng_approver), submission=submission(filled, TIANSHENG)
    )
    with pytest.raises(NotAllowed):
        submission_approve(scope=scope_for(tiansheng_approver), submission=sub)


def test_another_streets_submission_is_out_of_scope(filled, tiansheng_approver):
    with pytest.raises(OutOfScope):
        submission_submit(
            scope=scope_for(tiansheng_approver), submission=submission(filled, CHENGJIANG)
        )


def test_errors_and_uncommented_warnings_block_submission_with_the_list(beibei):
    period = open_period("2024H1")
    with pytest.raises(SubmissionBlocked) as blocked:
        submission_submit(scope=operator_scope(), submission=submission(period, TIANSHENG))
    messages = [str(b) for b in blocked.value.blockers]
    assert "新星路社区居民委员会：请填写辖区户籍人口总户数" in messages
    assert len(blocked.value.blockers) == 20  # households and centre for each of 10 rows
    assert submission(period, TIANSHENG).state == "draft"


def test_a_commented_warning_no_longer_blocks(beibei, tiansheng_editor):
    period = open_period("2024H1")
    fill_street(period, TIANSHENG)
    row = street_rows(period, TIANSHENG).get(community__code=XINXINGLU)
    row_update(
        scope=scope_for(tiansheng_editor),
        row=row,
        changes={"service_center": "150.0"},
        expected_version=row.version,
    )
    assert [
        b.field
        for b in submission_blockers(submission(period, TIANSHENG), thresholds_for(period.year))
    ] == ["service_center"]
    row_update(
        scope=scope_for(tiansheng_editor),
        row=street_rows(period, TIANSHENG).get(community__code=XINXINGLU),
        changes={},
        comments={"center_small": "租用场地扩建中"},
        expected_version=row.version + 1,
    )
    assert submission_blockers(submission(period, TIANSHENG), thresholds_for(period.year)) == []


def test_a_submission_after_the_deadline_is_late_unless_extended(filled, district_admin):
    late = submission_submit(
        scope=operator_scope(), submission=submission(filled, TIANSHENG), now=at("2024-05-02")
    )
    assert late.late
    fill_street(filled, CHENGJIANG)
    period_extend(
        scope=scope_for(district_admin),
        period=filled,
        street=region(CHENGJIANG),
        deadline=datetime.date(2024, 5, 10),
        reason="汛期",
    )
    extended = submission_submit(
        scope=operator_scope(), submission=submission(filled, CHENGJIANG), now=at("2024-05-02")
    )
    assert not extended.late


def test_returning_needs_a_reason_and_goes_back_to_editing(filled, district_approver):
    sub = submission_submit(scope=operator_scope(), submission=submission(filled, TIANSHENG))
    with pytest.raises(DomainError, match="请填写退回原因"):
        submission_return(scope=scope_for(district_approver), submission=sub, reason="  ")
    sub = submission_return(
        scope=scope_for(district_approver), submission=sub, reason="新星路社区户数与公安数据不符"
    )
    assert sub.state == "returned" and sub.return_reason == "新星路社区户数与公安数据不符"
    assert AuditEvent.objects.get(action="ledger.return").reason == "新星路社区户数与公安数据不符"
    again = submission_submit(scope=operator_scope(), submission=sub)
    assert again.state == "submitted"


@pytest.mark.parametrize("action", ["approve", "return"])
def test_only_a_submitted_ledger_can_be_decided(filled, district_approver, action):
    scope = scope_for(district_approver)
    with pytest.raises(DomainError, match="当前为“草稿”"):
        if action == "approve":
            submission_approve(scope=scope, submission=submission(filled, TIANSHENG))
        else:
            submission_return(scope=scope, submission=submission(filled, TIANSHENG), reason="x")


def test_reopening_needs_a_reason_and_the_next_approval_is_a_new_version(
    filled, district_approver, tiansheng_editor
):
    operator = operator_scope()
    sub = submission_submit(scope=operator, submission=submission(filled, TIANSHENG))
    sub = submission_approve(scope=operator, submission=sub)
    with pytest.raises(DomainError, match="请填写重新打开的原因"):
        submission_reopen(scope=scope_for(district_approver), submission=sub, reason="")
    sub = submission_reopen(
        scope=scope_for(district_approver), submission=sub, reason="区统计局核减户数"
    )
    assert sub.state == "draft"
    row = street_rows(filled, TIANSHENG).get(community__code=XINXINGLU)
    row_update(
        scope=scope_for(tiansheng_editor),
        row=row,
        changes={"households": 1900},
        expected_version=row.version,
    )
    sub = submission_approve(
        scope=operator, submission=submission_submit(scope=operator, submission=sub)
    )
    assert sub.approved_version == 2
    first, second = SealedVersion.objects.filter(street=region(TIANSHENG)).order_by("sequence")
    assert (first.version, second.version) == (1, 2)
    assert second.previous_fingerprint == first.fingerprint
    assert sealed_diff(first, second) == [(XINXINGLU, "households", 2000, 1900)]


def test_a_closed_period_takes_no_submissions_but_decisions_remain(filled, district_admin):
    sub = submission_submit(scope=operator_scope(), submission=submission(filled, TIANSHENG))
    fill_street(filled, CHENGJIANG)
    period_close(scope=scope_for(district_admin), period=filled)
    with pytest.raises(DomainError, match="已关闭，不能上报"):
        submission_submit(scope=operator_scope(), submission=submission(filled, CHENGJIANG))
    assert submission_approve(scope=operator_scope(), submission=sub).state == "approved"
