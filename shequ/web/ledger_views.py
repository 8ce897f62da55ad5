"""Ledger pages: period overview, the street's grid, row saves, submission and review."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shequ.accounts.scope import Scope, scope_for
from shequ.compliance.targets import standard_for_year, thresholds_for
from shequ.core.errors import DomainError
from shequ.ledger import rules
from shequ.ledger.book_pdf import write_pdf
from shequ.ledger.fields import INPUT_FIELDS
from shequ.ledger.models import LedgerRow, Period, Submission
from shequ.ledger.periods import deadline_for, overdue_street_ids
from shequ.ledger.permissions import may_import, may_import_row
from shequ.ledger.rows import (
    StaleRow,
    approved_rows_before,
    may_edit_row,
    row_history,
    row_update_cells,
    rows_visible_to,
)
from shequ.ledger.since_return import SinceReturn, changes_since_return
from shequ.ledger.submissions import (
    SubmissionBlocked,
    may_decide,
    may_reopen,
    may_submit,
    submission_blockers,
    takes_step,
)
from shequ.ledger.values import clean_values
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.plans.documents import bureau_name
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.web.downloads import download
from shequ.web.ledger_grid import (
    GRID_FIELDS,
    GridRow,
    column_headers,
    field_label,
    grid_row,
    linked_problems,
    mark_returned,
    said,
    shown_value,
    split_by_class,
    subtotal,
)
from shequ.web.scoping import node_scope
from shequ.workflow.ledger_files import ledger_workbook, write_csv
from shequ.workflow.submissions import (
    submission_approve,
    submission_reopen,
    submission_return,
    submission_submit,
)


def _period(code: str) -> Period:
    return get_object_or_404(Period, code=code.upper())


def _street(scope: Scope, code: str) -> Region:
    """A street the user may look at: inside their node, or the street of their community."""
    street = get_object_or_404(Region, code=code, level=Level.STREET)
    if scope.sees_street(street):
        return street
    raise Http404("不在您的管辖范围内")


def _grid_rows(
    scope: Scope,
    period: Period,
    street: Region,
    submission: Submission | None,
    *,
    read_only: bool = False,
) -> list[GridRow]:
    """The street's rows as the grid shows them; each editable where `may_edit_row` says
    so, unless the page only reads them (the review, the subtotals)."""
    rows = list(
        rows_visible_to(scope)
        .filter(period=period, street=street)
        .select_related("community", "period", "street")
        .order_by("community__code")
    )
    previous = approved_rows_before(period, [row.community_id for row in rows])
    limits = thresholds_for(period.year)
    return [
        grid_row(
            r,
            previous.get(r.community_id),
            limits,
            editable=not read_only and may_edit_row(scope, r, submission),
            year=period.year,
        )
        for r in rows
    ]


@login_required
@require_GET
def ledger_home(request):
    """District users pick a period and see every street's status; others go to their grid."""
    scope = node_scope(request)
    periods = list(Period.objects.all())
    if not periods:
        return render(request, "ledger/home.html", {"periods": [], "period": None})
    chosen = request.GET.get("period")
    period = next((p for p in periods if p.code == chosen), None) or _default_period(periods)
    street = scope.own_street
    if street is not None:
        return redirect("ledger_grid", period.code, street.code)
    submissions = (
        Submission.objects.filter(period=period, street__path__startswith=scope.node.path)
        .select_related("street", "submitted_by")
        .order_by("street__code")
    )
    counts = {
        state: sum(1 for s in submissions if s.state == state) for state in Submission.State.values
    }
    return render(
        request,
        "ledger/home.html",
        {
            "periods": periods,
            "period": period,
            "submissions": _with_overdue(period, list(submissions)),
            "counts": counts,
            "reviewable": {s.pk for s in submissions if takes_step(scope, s.street, "approve")},
            "can_import": may_import(scope),
        },
    )


def _with_overdue(period: Period, submissions: list[Submission]) -> list[Submission]:
    overdue = overdue_street_ids(period)
    for submission in submissions:
        submission.overdue = submission.street_id in overdue
    return submissions


def _default_period(periods: list[Period]) -> Period:
    open_periods = [p for p in periods if p.is_open]
    return open_periods[0] if open_periods else periods[0]


@login_required
@require_GET
def ledger_grid(request, period_code: str, street_code: str):
    scope = scope_for(request.user)
    period, street = _period(period_code), _street(scope, street_code)
    ledgers = Submission.objects.select_related("period", "street")  # read by the gates
    submission = ledgers.filter(period=period, street=street).first()
    rows = _grid_rows(scope, period, street, submission)
    if not rows:
        raise Http404("没有可查看的台账行")
    return render(
        request,
        "ledger/grid.html",
        {
            "period": period,
            "street": street,
            "submission": submission,
            "deadline": deadline_for(period, street),
            "groups": _groups(rows),
            "total": subtotal("合计", rows),
            "headers": column_headers(),
            "editable": any(r.editable for r in rows),
            "can_import": any(may_import_row(scope, r.row, submission) for r in rows),
            "can_submit": may_submit(scope, submission),
            "can_review": takes_step(scope, street, "approve"),
            "blockers": request.session.pop("blockers", None),
            "periods": Period.objects.all(),
        },
    )


def _groups(rows: list[GridRow]) -> list[tuple[str, str, list[GridRow], object]]:
    return [
        (klass, label, group, subtotal(f"{label}小计", group))
        for klass, label, group in split_by_class(rows)
        if group
    ]


def _subtotals(scope: Scope, row: LedgerRow) -> list[tuple[str, object]]:
    """The street's subtotals after a save, to refresh them in place."""
    rows = _grid_rows(scope, row.period, row.street, None, read_only=True)
    return [(f"subtotal-{klass}", sub) for klass, _, _, sub in _groups(rows)] + [
        ("subtotal-all", subtotal("合计", rows))
    ]


def _visible_row(request, pk: int) -> tuple[Scope, LedgerRow]:
    scope = scope_for(request.user)
    row = get_object_or_404(
        rows_visible_to(scope).select_related("community", "period", "street"), pk=pk
    )
    return scope, row


def _posted_changes(post) -> dict:
    """Every grid field, as posted; an unticked box is not posted, which means “no”."""
    return {name: post.get(name, "") for name in GRID_FIELDS if name in INPUT_FIELDS}


def _posted_comments(post) -> dict[str, str]:
    return {
        key[len("comment-") :]: value for key, value in post.items() if key.startswith("comment-")
    }


def _row_item(scope: Scope, row: LedgerRow, refused: dict[str, str] | None = None) -> GridRow:
    submission = Submission.objects.filter(period=row.period, street=row.street).first()
    previous = approved_rows_before(row.period, [row.community_id]).get(row.community_id)
    return grid_row(
        row,
        previous,
        thresholds_for(row.period.year),
        editable=may_edit_row(scope, row, submission),
        year=row.period.year,
        refused=refused,
    )


@login_required
@require_POST
def row_save(request, pk: int):
    """Save a row; the answer updates the row's figures, messages and subtotals in place,
    leaving the inputs (and whatever is being typed in them) alone."""
    scope, row = _visible_row(request, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponse("缺少版本号", status=400)
    try:
        saved = row_update_cells(
            scope=scope,
            row=row,
            cells=_posted_changes(request.POST),
            comments=_posted_comments(request.POST),
            expected_version=version,
        )
    except StaleRow as stale:
        return _conflict(request, scope, stale.current)
    except DomainError as error:
        # Nothing was saved (the row is not open, or not the user's): said under the row.
        item = _row_item(scope, row, refused={error.field or "": error.message})
        response = render(request, "ledger/_row_refresh.html", {"item": item}, status=422)
        return _with_save_outcome(response, row, {error.field or "": error.message}, saved=False)
    row = saved.row
    item = _row_item(scope, row, refused=saved.refused)
    context = {"item": item, "subtotals": _subtotals(scope, row)}
    response = render(request, "ledger/_row_refresh.html", context)
    return _with_save_outcome(response, row, saved.refused, saved=True)


def _with_save_outcome(
    response: HttpResponse, row: LedgerRow, refused: dict[str, str], *, saved: bool
) -> HttpResponse:
    """The save's outcome for the grid's script (`rowSaved`, an htmx trigger): the stored
    value of each field as the input shows it, the cells refused with their reason, the
    row's version and the time, so that the row can say 已保存 hh:mm or 未保存 and a
    cell is marked unsaved only while its typed value differs from what is stored."""
    outcome = {
        "saved": saved,
        "version": row.version,
        "at": timezone.localtime().strftime("%H:%M"),
        "stored": {name: _stored_shown(row, name) for name in GRID_FIELDS},
        "refused": refused,
    }
    # ASCII JSON: a header carries Latin-1 only; the script decodes the \u escapes.
    response["HX-Trigger"] = json.dumps({"rowSaved": outcome})
    return response


def _stored_shown(row: LedgerRow, name: str):
    value = getattr(row, name)
    return value if isinstance(value, bool) else shown_value(value)


def _conflict(request, scope: Scope, current: LedgerRow) -> HttpResponse:
    """Both values side by side, with who changed the row and when. Nothing is saved: the
    page takes the stored value of every cell the user did not touch, and asks, cell by
    cell, which value to keep where both changed (`rowConflict`, web/grid.js); then it
    saves against the current version."""
    differences = []
    for name, value in _posted_changes(request.POST).items():
        try:
            typed = clean_values({name: value})[name]
        except DomainError:
            typed = value
        stored = getattr(current, name)
        if typed != stored:
            differences.append(
                {
                    "field": name,
                    "label": field_label(name),
                    "mine": said(typed),
                    "stored": said(stored),
                    "stored_value": _stored_shown(current, name),
                }
            )
    change = row_history(current).first()
    context = {
        "item": _row_item(scope, current),
        "row": current,
        "oob": True,
        "conflict": {
            "version": current.version,
            "differences": differences,
            "by": change.actor if change else "",
            "at": change.at if change else None,
        },
    }
    response = render(request, "ledger/_notes.html", context, status=409)
    # After the swap: the script reads the conflict's table, which the swap puts in place.
    response["HX-Trigger-After-Swap"] = json.dumps(
        {
            "rowConflict": {
                "version": current.version,
                "stored": {name: _stored_shown(current, name) for name in GRID_FIELDS},
            }
        }
    )
    return response


@login_required
@require_POST
def row_preview(request, pk: int):
    """The row's total, ratio and badge for the values being typed; nothing is saved."""
    _, row = _visible_row(request, pk)
    try:
        for name, value in clean_values(_posted_changes(request.POST)).items():
            setattr(row, name, value)
        derived = rules.derive(row, standard_for_year(row.period.year))
    except DomainError:
        derived = None
    return render(request, "ledger/_derived.html", {"row": row, "derived": derived})


@login_required
@require_GET
def row_history_page(request, pk: int):
    _, row = _visible_row(request, pk)
    events = [
        {"event": event, "changes": [(field_label(k), v) for k, v in event.changes.items()]}
        for event in row_history(row)
    ]
    return render(request, "ledger/history.html", {"row": row, "events": events})


def _submission(scope: Scope, period_code: str, street_code: str) -> Submission:
    period = _period(period_code)
    street = get_object_or_404(Region, code=street_code, level=Level.STREET)
    if not scope.contains(street):
        raise Http404("不在您的管辖范围内")
    return get_object_or_404(
        Submission.objects.select_related("period", "street"), period=period, street=street
    )


@login_required
@require_POST
def submit(request, period_code: str, street_code: str):
    scope = scope_for(request.user)
    submission = _submission(scope, period_code, street_code)
    try:
        submission_submit(scope=scope, submission=submission)
    except SubmissionBlocked as blocked:
        request.session["blockers"] = linked_problems(blocked.blockers)
        messages.error(request, blocked.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已上报{submission.period.label}台账，等待区民政局审核")
    return redirect("ledger_grid", period_code, street_code)


@login_required
@require_GET
def review(request, period_code: str, street_code: str):
    scope = scope_for(request.user)
    submission = _submission(scope, period_code, street_code)
    if not takes_step(scope, submission.street, "approve"):
        raise PermissionDenied("只有区级审核员可以审核")
    rows = _grid_rows(scope, submission.period, submission.street, submission, read_only=True)
    since = changes_since_return(submission, [item.row for item in rows])
    if since is not None:
        for item in rows:
            mark_returned(item, since.returned.get(item.row.pk, {}))
    # Rows changed since the return first, then rows with warnings (and their comments),
    # then the rest, each by code.
    rows.sort(
        key=lambda r: (
            not (since and r.row.pk in since.returned),
            not r.findings,
            r.row.community.code,
        )
    )
    return render(
        request,
        "ledger/review.html",
        {
            "submission": submission,
            "period": submission.period,
            "street": submission.street,
            "rows": rows,
            "headers": column_headers(),
            "total": subtotal("合计", rows),
            "blockers": submission_blockers(submission, thresholds_for(submission.period.year))
            if submission.state == Submission.State.SUBMITTED
            else [],
            "deadline": deadline_for(submission.period, submission.street),
            "since": since,
            "since_rows": _since_return_lines(rows, since),
            "can_decide": may_decide(scope, submission),
            "can_reopen": may_reopen(scope, submission),
        },
    )


def _since_return_lines(rows: list[GridRow], since: SinceReturn | None) -> list[tuple]:
    """(community, field label, value as returned, value now) for each changed cell."""
    if since is None:
        return []
    lines = []
    for item in rows:
        for name, returned in since.returned.get(item.row.pk, {}).items():
            now = getattr(item.row, name)
            lines.append((item.row.community.name, field_label(name), said(returned), said(now)))
    return lines


@login_required
@require_POST
def decide(request, period_code: str, street_code: str):
    scope = scope_for(request.user)
    submission = _submission(scope, period_code, street_code)
    action, reason = request.POST.get("action"), request.POST.get("reason", "")
    services = {
        "approve": lambda: submission_approve(scope=scope, submission=submission),
        "return": lambda: submission_return(scope=scope, submission=submission, reason=reason),
        "reopen": lambda: submission_reopen(scope=scope, submission=submission, reason=reason),
    }
    if action not in services:
        return HttpResponse("未知操作", status=400)
    if action == "approve" and reason.strip():
        # Both buttons share the form: a reason typed means the approver meant to return.
        messages.error(
            request,
            "已填写退回原因，未审核通过：要退回请点“退回修改”，要审核通过请先清空退回原因",
        )
        return redirect("ledger_review", period_code, street_code)
    try:
        services[action]()
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("ledger_review", period_code, street_code)
    done = {"approve": "审核通过", "return": "退回", "reopen": "重新打开"}[action]
    messages.success(request, f"已{done}{submission.street.name}{submission.period.label}台账")
    return redirect(reverse("ledger_home") + f"?period={submission.period.code}")


@login_required
@require_GET
def export(request, period_code: str, fmt: str):
    """The official workbook (xlsx, or the same book as a PDF) or the data-exchange CSV,
    for a street or all in scope."""
    scope = node_scope(request)
    period = _period(period_code)
    street = _street(scope, request.GET["street"]) if request.GET.get("street") else None
    if street is None and scope.node.is_community:
        street = scope.own_street  # a community editor exports its own row, in its street
    unit = street.name if street else scope.node.name
    filename = f"{unit}{period.label}城乡社区综合服务设施统计台帐.{fmt}"
    response = download(None, filename)
    if fmt == "csv":
        write_csv(scope=scope, period=period, street=street, stream=_TextResponse(response))
    elif fmt == "pdf":
        book = ledger_workbook(scope=scope, period=period, street=street)
        try:
            author = bureau_name(settings.SHEQU_DISTRICT_NAME)
            data = write_pdf(book, author=author, now=timezone.now())
        except DomainError as error:
            raise Http404(error.message) from error
        return download(data, filename)
    else:
        write_xlsx(ledger_workbook(scope=scope, period=period, street=street), response)
    return response


class _TextResponse:
    """Lets the CSV writer write text into an HttpResponse."""

    def __init__(self, response: HttpResponse):
        self.response = response

    def write(self, text: str) -> None:
        self.response.write(text.encode("utf-8"))
