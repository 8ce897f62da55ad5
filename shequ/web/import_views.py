"""The upload page: the same dry run as `shequ import-ledger`, applied on confirmation."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.accounts.scope import scope_for
from shequ.core.errors import DomainError
from shequ.ledger.blank_template import blank_workbook
from shequ.ledger.importing.apply import import_apply
from shequ.ledger.importing.files import UPLOAD_LIMITS, FileRefused, check_file, read_sheets
from shequ.ledger.importing.plan import SheetAccount
from shequ.ledger.importing.preview import chosen_part, street_parts
from shequ.ledger.importing.problem_list import ProblemList, more_problems
from shequ.ledger.importing.problems import problem_workbook_bytes, without_problem_list
from shequ.ledger.importing.report import skipped_reasons
from shequ.ledger.models import Period
from shequ.ledger.permissions import require_importer
from shequ.ledger.workbook_xlsx import write_xlsx
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.web.downloads import download
from shequ.workflow.ledger_files import plan_import

SESSION_KEY = "ledger_imports"


UPLOAD_LIFETIME = 24 * 3600  # seconds an upload waits for its confirmation

# The preview lists at most this many errors, and as many warnings: a file in a wrong
# layout makes tens of thousands, whose <li> would take the browser seconds to lay out
# and help the clerk no more than the first ones, which already say what to fix. The
# problem workbook lists the rest and marks their cells.
SHOWN_ON_PAGE = 200


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads() -> None:
    """Uploads are kept only until they are confirmed or a day has passed."""
    cutoff = time.time() - UPLOAD_LIFETIME
    for path in _upload_dir().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _stored(request, token: str) -> dict:
    """An upload this user made in this session, or 404 (403 once they may not import)."""
    require_importer(scope_for(request.user))
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or not (_upload_dir() / entry["stored"]).exists():
        raise Http404("上传的文件已失效，请重新上传")
    return entry


def _forget(request, token: str) -> None:
    """The upload is done with (applied, or refused): its file goes at once, and with it
    the session's note of it — a refused file has no reason to stay on the server, and no
    backup holds files that no row names (ADR 0040)."""
    entries = request.session.get(SESSION_KEY, {})
    entry = entries.pop(token, None)
    request.session[SESSION_KEY] = entries
    if entry is not None:
        (_upload_dir() / entry["stored"]).unlink(missing_ok=True)


def _content(entry: dict) -> bytes:
    return (_upload_dir() / entry["stored"]).read_bytes()


def _plan(request, period: Period, entry: dict):
    scope = scope_for(request.user)
    # A marked file sent back after its fixes: its 问题清单 is ours, not the street's data.
    sheets = without_problem_list(read_sheets(_content(entry), entry["name"]))
    street = Region.objects.get(code=entry["street"]) if entry.get("street") else None
    plan = plan_import(
        scope=scope, period=period, sheets=sheets, filename=entry["name"], street=street
    )
    return scope, sheets, plan


def _streets(scope):
    if scope.node is None:
        return Region.objects.none()
    return scope.streets().active().order_by("code")


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, period_code: str):
    scope = scope_for(request.user)
    period = get_object_or_404(Period, code=period_code.upper())
    require_importer(scope)
    context = {"period": period, "streets": _streets(scope)}
    if request.method == "GET":
        return render(request, "ledger/import.html", context)
    upload_file = request.FILES.get("file")
    if upload_file is None:
        context["refused"] = "请选择要导入的文件"
        return render(request, "ledger/import.html", context, status=400)
    if upload_file.size > UPLOAD_LIMITS.file_bytes:
        context["refused"] = f"文件大小 {upload_file.size / 1048576:.1f} MB，超过 25 MB 的上限"
        return render(request, "ledger/import.html", context, status=400)
    street_code = request.POST.get("street") or ""
    if street_code and not _streets(scope).filter(code=street_code).exists():
        raise Http404("不在您的管辖范围内")
    if not street_code and scope.node and scope.node.level == Level.STREET:
        street_code = scope.node.code
    content = upload_file.read()
    # Checked before it is kept: a sheet reaching too far would take the worker down at
    # every preview, and a refused file has no reason to stay on the server.
    try:
        check_file(content, upload_file.name, UPLOAD_LIMITS)
    except FileRefused as error:
        context["refused"] = str(error)
        return render(request, "ledger/import.html", context, status=400)
    _forget_old_uploads()
    token = uuid.uuid4().hex
    (_upload_dir() / token).write_bytes(content)
    entries = request.session.get(SESSION_KEY, {})
    entries[token] = {"name": Path(upload_file.name).name, "stored": token, "street": street_code}
    request.session[SESSION_KEY] = entries
    return redirect("ledger_import_preview", period.code, token)


@login_required
@require_GET
def preview(request, period_code: str, token: str):
    period = get_object_or_404(Period, code=period_code.upper())
    entry = _stored(request, token)
    try:
        _, _, plan = _plan(request, period, entry)
    except FileRefused as error:
        _forget(request, token)
        context = {"period": period, "refused": str(error), "streets": []}
        return render(request, "ledger/import.html", context, status=400)
    context = {
        "period": period,
        "plan": plan,
        "token": token,
        "counts": plan.status_counts(),
        "entry": entry,
        "errors": _on_page(plan.errors, "错误", then="请先改正列出的错误，再重新上传检查其余的。"),
        "warnings": _on_page(plan.warnings, "警告"),
    }
    context["sheets"] = [_sheet_on_page(account) for account in plan.sheets]
    parts = street_parts(plan.rows_marked())
    context |= {"parts": parts, "part": chosen_part(parts, request.GET.get("street"))}
    return render(request, "ledger/import_preview.html", context)


def _sheet_on_page(account: SheetAccount) -> dict:
    """A sheet's account as the page lists it: its skipped rows counted by reason, and
    the first SHOWN_ON_PAGE of them one by one (a city's file skips a 小计 row a street)."""
    return {
        "account": account,
        "reasons": skipped_reasons(account),
        "shown": account.skipped[:SHOWN_ON_PAGE],
        "not_shown": max(0, len(account.skipped) - SHOWN_ON_PAGE),
    }


def _on_page(problems: ProblemList, noun: str, then: str = "") -> dict:
    """The problems the page lists, and the line under them on those it does not."""
    return {
        "shown": problems.listed[:SHOWN_ON_PAGE],
        "not_shown": _not_shown(problems, noun, then),
    }


def _not_shown(problems: ProblemList, noun: str, then: str) -> str:
    """How many problems the page leaves out, of which fields, and where they are: in the
    problem workbook, which lists the plan's listed ones (`then` says what to do about
    those only counted)."""
    more = more_problems(problems.kinds_after(SHOWN_ON_PAGE), noun, "未在此列出")
    if not more:
        return ""
    if not problems.not_listed:
        return f"{more}，请下载问题标注文件查看：其中逐条列出全部{noun}，并标出所在单元格。"
    listed, counted = len(problems.listed), problems.not_listed.total()
    return (
        f"{more}。问题标注文件逐条列出前 {listed:,} 个{noun}并标出所在单元格，"
        f"其余 {counted:,} 个只计了数。{then}"
    )


@login_required
@require_POST
def apply(request, period_code: str, token: str):
    period = get_object_or_404(Period, code=period_code.upper())
    entry = _stored(request, token)
    try:
        scope, _, plan = _plan(request, period, entry)
    except FileRefused as error:
        # Passed the upload's checks, yet unreadable: say why, as the preview does.
        _forget(request, token)
        messages.error(request, f"文件被拒收：{error}")
        return redirect("ledger_import", period.code)
    try:
        written = import_apply(scope=scope, plan=plan, reason=f"网页导入 {entry['name']}")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("ledger_import_preview", period.code, token)
    _forget(request, token)
    messages.success(request, f"已导入 {entry['name']}：写入 {written} 行")
    if entry.get("street"):
        return redirect("ledger_grid", period.code, entry["street"])
    return redirect("ledger_home")


@login_required
@require_GET
def problems(request, period_code: str, token: str):
    """The user's own .xlsx with its problem cells marked, or a copy rebuilt from the values
    of an .xls, .ods or .csv; a 问题清单 sheet lists every problem."""
    period = get_object_or_404(Period, code=period_code.upper())
    entry = _stored(request, token)
    try:
        _, sheets, plan = _plan(request, period, entry)
    except FileRefused as error:
        _forget(request, token)
        raise Http404(f"文件无法读取：{error}") from error
    data = problem_workbook_bytes(_content(entry), sheets, plan)
    stem = Path(entry["name"]).stem
    return download(data, f"{stem}（问题清单）.xlsx")


@login_required
@require_GET
def blank_template(request, period_code: str):
    """The official layout with the street's communities of the period and every figure
    blank: a street's user gets their own street, a district's user the street they pick
    (every street of theirs when they pick none)."""
    scope = scope_for(request.user)
    period = get_object_or_404(Period, code=period_code.upper())
    require_importer(scope)
    street = _template_street(scope, request.GET.get("street", ""))
    data = blank_workbook(scope=scope, period=period, street=street)
    buffer = io.BytesIO()
    write_xlsx(data, buffer)
    return download(buffer.getvalue(), f"{data.unit}{period.label}台账空白导入模板.xlsx")


def _template_street(scope, code: str) -> Region | None:
    """The street asked for, if the user may see it; else the user's own street, if any."""
    if code:
        street = Region.objects.filter(code=code, level=Level.STREET).first()
        if street is None or not scope.contains(street):
            raise Http404("不在您的管辖范围内")
        return street
    # A community's user gets its street's layout, listing only the rows it may see.
    return scope.own_street
