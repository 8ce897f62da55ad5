"""Where each role lands: its task of the open period, not last period's figures.

A street's users see their ledger's state, deadline, a return's reason and what still
blocks submission; a district approver the ledgers waiting for review; a community's
editor its one row as a form; district leaders and viewers the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from shequ.accounts.scope import Scope, scope_for
from shequ.compliance.targets import thresholds_for
from shequ.core.errors import DomainError
from shequ.ledger.fields import LABELS
from shequ.ledger.models import Period, Submission
from shequ.ledger.permissions import may_import
from shequ.ledger.rows import (
    StaleRow,
    last_approved_row,
    may_edit_row,
    row_update_cells,
    rows_visible_to,
)
from shequ.ledger.submissions import may_submit, takes_step
from shequ.ledger.tasks import current_period, review_queue, street_task
from shequ.web.ledger_grid import GRID_FIELDS, GridRow, grid_row, linked_problems
from shequ.web.scoping import node_scope


@login_required
def home(request):
    """Before any period, everyone sees the region tree; after, each role its task."""
    period = current_period()
    if period is None:
        return redirect("regions")
    scope = scope_for(request.user)
    node = scope.node
    if node is None:
        return redirect("ledger_home")
    if node.is_community:
        return _community_start(request, scope, period)
    if node.is_street:
        return _street_start(request, scope, period)
    if takes_step(scope, node, "approve"):
        return _review_start(request, scope, period)
    return redirect("dashboard")


def _street_start(request, scope: Scope, period: Period):
    task = street_task(scope, period, scope.node, thresholds_for(period.year))
    return render(
        request,
        "web/start_street.html",
        {
            "task": task,
            "problems": linked_problems(task.blockers),
            "can_submit": may_submit(scope, task.submission),
            "can_import": may_import(scope) and task.to_fill,
        },
    )


def _review_start(request, scope: Scope, period: Period):
    return render(request, "web/start_review.html", {"queue": review_queue(period, scope.node)})


def _community_start(request, scope: Scope, period: Period):
    row = (
        rows_visible_to(scope)
        .filter(period=period, community=scope.node)
        .select_related("community", "period", "street")
        .first()
    )
    if row is None:
        return redirect("ledger_home")
    return redirect("community_row", row.pk)


@login_required
@require_http_methods(["GET", "POST"])
def community_row(request, pk: int):
    """One row as a form (a community's editor, on a phone as at a desk): each field read
    on its own, as the grid does, so that one refused value costs nothing else."""
    scope = node_scope(request)
    row = get_object_or_404(
        rows_visible_to(scope).select_related("community", "period", "street"), pk=pk
    )
    submission = Submission.objects.filter(period=row.period, street=row.street).first()
    editable = may_edit_row(scope, row, submission)
    refused: dict[str, str] = {}
    typed: dict[str, str] = {}
    if request.method == "POST":
        typed = {name: request.POST.get(name, "") for name in GRID_FIELDS}
        try:
            saved = row_update_cells(
                scope=scope,
                row=row,
                cells=typed,
                expected_version=int(request.POST.get("version") or 0),
            )
        except StaleRow as stale:
            # What was typed stays in the form, now against the current version: saving
            # again, after checking, is a choice the user makes knowingly.
            row = stale.current
            refused = {
                "": f"该行在您填写期间已被他人修改（现为第 {row.version} 版），"
                "您填写的数值没有保存，仍保留在下面；请核对后再点“保存”"
            }
        except DomainError as error:
            refused = {error.field or "": error.message}
        else:
            row, refused = saved.row, saved.refused
            if not refused:
                messages.success(request, f"已保存{row.community.name}{row.period.label}台账")
                return redirect("community_row", row.pk)
    item = grid_row(
        row,
        last_approved_row(row),
        thresholds_for(row.period.year),
        editable=editable,
        year=row.period.year,
        refused=refused,
    )
    # A refused value, or every value after a conflict, shows as it was typed.
    kept = typed if "" in refused else {n: v for n, v in typed.items() if n in refused}
    return render(
        request,
        "web/start_community.html",
        {
            "item": item,
            "row": row,
            "submission": submission,
            "editable": editable,
            "fields": _form_fields(item, kept),
            "year": kept.get("compliance_year", item.year_cell.shown),
            "remarks": kept.get("remarks", row.remarks),
            "row_error": refused.get("") or item.error_message,
        },
    )


@dataclass
class FormField:
    """One figure of the row's form: its input, its 在中心 box, what was refused."""

    name: str
    label: str
    unit: str
    value: str
    errors: list[str]
    previous: str
    flag: str | None
    flag_label: str
    flagged: bool


def _form_fields(item: GridRow, kept: dict[str, str]) -> list[FormField]:
    """The row's figures as form fields; a refused value shows as it was typed."""
    return [
        FormField(
            name=cell.field,
            label=LABELS[cell.field],
            unit="户" if cell.field == "households" else "㎡",
            value=kept.get(cell.field, cell.shown),
            errors=cell.errors,
            previous=cell.previous_shown,
            flag=cell.flag,
            flag_label="设在便民服务中心内" if cell.flag else "",
            flagged=kept[cell.flag] == "1" if cell.flag in kept else cell.flagged,
        )
        for cell in item.cells
    ]
