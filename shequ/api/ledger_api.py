"""Ledger rows and street submissions in the API: read, change a draft row, act on a
submission. Scope first (404), then role (403), then the body (422), then the rules
(400): the same services as the pages."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema, Status

from shequ.api.common import (
    caller_scope,
    find_period,
    json_body,
    json_body_doc,
    named,
    page_of,
    street_in_scope,
)
from shequ.api.schemas import (
    ERRORS,
    Decision,
    HistoryPage,
    RowChange,
    RowOut,
    RowPage,
    Stale,
    SubmissionOut,
    SubmissionPage,
)
from shequ.compliance.targets import standard_for_year
from shequ.core.jsonvalues import json_moment, json_number
from shequ.ledger import rules
from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.models import LedgerRow, Submission
from shequ.ledger.rows import (
    StaleRow,
    may_edit_row,
    require_row_editor,
    row_history,
    row_update,
    rows_visible_to,
)
from shequ.ledger.submissions import require_step
from shequ.workflow.submissions import (
    submission_approve,
    submission_reopen,
    submission_return,
    submission_submit,
)

router = Router(tags=["台账"])


def _submit(scope, submission, reason):
    return submission_submit(scope=scope, submission=submission)


def _approve(scope, submission, reason):
    return submission_approve(scope=scope, submission=submission)


def _return(scope, submission, reason):
    return submission_return(scope=scope, submission=submission, reason=reason)


def _reopen(scope, submission, reason):
    return submission_reopen(scope=scope, submission=submission, reason=reason)


ACTIONS = {"submit": _submit, "approve": _approve, "return": _return, "reopen": _reopen}


def row_json(row: LedgerRow, editable: bool) -> dict:
    standard = standard_for_year(row.period.year)
    derived = rules.derive(row, standard)
    return {
        "id": row.pk,
        "period": row.period.code,
        "community": named(row.community),
        "street": named(row.street),
        "data": {name: json_number(getattr(row, name)) for name in INPUT_FIELDS},
        "derived": {
            "total_area": float(derived.total_area),
            "per_100_households": json_number(derived.per_100_households),
            "compliant": derived.compliant,
            "shortfall": json_number(derived.shortfall),
        },
        "warning_comments": row.warning_comments,
        "version": row.version,
        "editable": editable,
    }


def _editable(scope, row: LedgerRow, submissions: dict) -> bool:
    return may_edit_row(scope, row, submissions.get((row.period_id, row.street_id)))


def _submissions_for(rows) -> dict:
    keys = {(r.period_id, r.street_id) for r in rows}
    found = Submission.objects.filter(
        period_id__in={k[0] for k in keys}, street_id__in={k[1] for k in keys}
    )
    return {(s.period_id, s.street_id): s for s in found}


class RowQuery(Schema):
    period: str
    street: str | None = None
    limit: int = 50
    offset: int = 0


@router.get("/ledger/rows", response={200: RowPage, **ERRORS}, summary="台账行列表")
def rows_list(request, query: Query[RowQuery]):
    """A period's rows the caller may see, one street or all, by street and community."""
    scope = caller_scope(request)
    period = find_period(query.period)
    rows = rows_visible_to(scope).filter(period=period)
    if query.street:
        street = street_in_scope(scope, query.street)
        rows = rows.filter(street=street)
    rows = rows.select_related("community", "street", "period").order_by(
        "street__code", "community__code"
    )
    page, count = page_of(rows, query)
    submissions = _submissions_for(page)
    return {"items": [row_json(r, _editable(scope, r, submissions)) for r in page], "count": count}


def _row(scope, row_id: int) -> LedgerRow:
    row = (
        rows_visible_to(scope)
        .select_related("community", "street", "period")
        .filter(pk=row_id)
        .first()
    )
    if row is None:
        raise Http404("台账行不存在或不在您的管辖范围内")
    return row


@router.get("/ledger/rows/{row_id}", response={200: RowOut, **ERRORS}, summary="台账行")
def row_detail(request, row_id: int):
    scope = caller_scope(request)
    row = _row(scope, row_id)
    return row_json(row, _editable(scope, row, _submissions_for([row])))


@router.patch(
    "/ledger/rows/{row_id}",
    response={200: RowOut, 409: Stale, **ERRORS},
    openapi_extra=json_body_doc(RowChange),
    summary="修改草稿台账行",
)
def row_change(request, row_id: int):
    """Change a row of a draft ledger (street and community editors). 409 with the stored
    row when someone changed it since `version`."""
    scope = caller_scope(request)
    row = _row(scope, row_id)
    require_row_editor(scope, row)  # scope, then role, then the body
    change = json_body(request, RowChange)
    try:
        updated = row_update(
            scope=scope,
            row=row,
            changes=change.changes,
            expected_version=change.version,
            comments=change.comments,
            reason=change.reason,
        )
    except StaleRow as stale:
        current = _row(scope, stale.current.pk)
        return Status(
            409,
            {
                "message": "该行已被他人修改，请按最新数据重新填写",
                "field": None,
                "current": row_json(current, True),
            },
        )
    updated = _row(scope, updated.pk)
    return row_json(updated, _editable(scope, updated, _submissions_for([updated])))


@router.get(
    "/ledger/rows/{row_id}/history", response={200: HistoryPage, **ERRORS}, summary="台账行修改记录"
)
def row_history_view(request, row_id: int):
    """Every recorded change of the row, newest first."""
    events = list(row_history(_row(caller_scope(request), row_id)))
    return {
        "items": [
            {
                "id": e.pk,
                "at": json_moment(e.at),
                "actor": e.actor,
                "action": e.action,
                "summary": e.summary,
                "changes": e.changes or {},
                "reason": e.reason,
            }
            for e in events
        ],
        "count": len(events),
    }


def submission_json(s: Submission) -> dict:
    return {
        "id": s.pk,
        "period": s.period.code,
        "street": named(s.street),
        "status": s.state,
        "approved_version": s.approved_version,
        "submitted_at": json_moment(s.submitted_at),
        "late": s.late,
        "decided_at": json_moment(s.decided_at),
        "return_reason": s.return_reason,
    }


class SubmissionQuery(Schema):
    period: str


@router.get(
    "/submissions",
    response={200: SubmissionPage, **ERRORS},
    tags=["上报"],
    summary="各街镇上报状态",
)
def submissions_list(request, query: Query[SubmissionQuery]):
    """The period's street ledgers the caller may see, with their state."""
    scope = caller_scope(request)
    period = find_period(query.period)
    submissions = (
        Submission.objects.filter(period=period, street__path__startswith=scope.node.path)
        .select_related("period", "street")
        .order_by("street__code")
    )
    if scope.node.is_community:
        submissions = Submission.objects.filter(period=period, street=scope.own_street)
    items = [submission_json(s) for s in submissions]
    return {"items": items, "count": len(items)}


def _submission(scope, period_code: str, street_code: str) -> Submission:
    period = find_period(period_code)
    street = street_in_scope(scope, street_code)
    submission = (
        Submission.objects.select_related("period", "street")
        .filter(period=period, street=street)
        .first()
    )
    if submission is None:
        raise Http404(f"{street.name}{period.label}没有台账")
    return submission


@router.get(
    "/submissions/{period}/{street}",
    response={200: SubmissionOut, **ERRORS},
    tags=["上报"],
    summary="街镇上报状态",
)
def submission_detail(request, period: str, street: str):
    return submission_json(_submission(caller_scope(request), period, street))


@router.post(
    "/submissions/{period}/{street}/{action}",
    response={200: SubmissionOut, **ERRORS},
    tags=["上报"],
    openapi_extra=json_body_doc(Decision, required=False),
    summary="上报、审核通过、退回、重新打开",
)
def submission_act(request, period: str, street: str, action: str):
    """submit (street approvers), approve / return / reopen (district approvers); return
    and reopen need a `reason`."""
    if action not in ACTIONS:
        raise Http404(f"未知操作“{action}”：可用 submit、approve、return、reopen")
    scope = caller_scope(request)
    submission = _submission(scope, period, street)
    require_step(scope, submission, action)  # scope, then role, then the reason
    decision = json_body(request, Decision)
    result = ACTIONS[action](scope, submission, decision.reason)
    return submission_json(Submission.objects.select_related("period", "street").get(pk=result.pk))
