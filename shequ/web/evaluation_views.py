"""The annual evaluation page and its downloads (Word report, Excel table)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from shequ.compliance.summary import percent_figure
from shequ.core.errors import DomainError
from shequ.evaluation.documents import evaluation_documents
from shequ.evaluation.evaluation import evaluate, require_evaluator
from shequ.evaluation.report import TABLE_HEADERS, report_text, report_title, table_cells
from shequ.ledger.models import Period
from shequ.web.downloads import download
from shequ.web.query import query_year
from shequ.web.scoping import node_scope


def _documents(request):
    scope = node_scope(request)
    require_evaluator(scope)
    years = sorted({p.year for p in Period.objects.all()}, reverse=True)
    if not years:
        return None, years
    year = query_year(request) if request.GET.get("year") else _default_year(years)
    try:
        result = evaluate(scope=scope, year=year, region=scope.node)
    except DomainError as error:
        raise Http404(error.message) from error
    return evaluation_documents(result), years


def _default_year(years: list[int]) -> int:
    """Last year once it is over; the evaluation of the current year is still moving."""
    finished = [y for y in years if y < timezone.localdate().year]
    return finished[0] if finished else years[0]


@login_required
@require_GET
def evaluation_page(request):
    documents, years = _documents(request)
    if documents is None:
        return render(request, "evaluation/page.html", {"years": years, "evaluation": None})
    result = documents.evaluation
    rows = [table_cells(row, documents.completeness) for row in result.rows]
    total = ["合计", *table_cells(result.total, documents.completeness)[1:]]
    chart = {
        "labels": [row.name for row in result.rows],
        "rates": [percent_figure(r.rate if r.known else None) for r in result.rows],
        "targets": [None if r.target is None else float(r.target) * 100 for r in result.rows],
        "previous": [percent_figure(r.previous_rate) for r in result.rows],
    }
    return render(
        request,
        "evaluation/page.html",
        {
            "years": years,
            "evaluation": result,
            "title": report_title(result),
            "text": report_text(result),
            "headers": TABLE_HEADERS,
            "rows": zip(result.rows, rows, strict=True),
            "total": total,
            "chart": chart,
        },
    )


@login_required
@require_GET
def evaluation_docx(request):
    documents, _ = _documents(request)
    if documents is None:
        raise Http404("没有报告期")
    return download(documents.docx(), f"{report_title(documents.evaluation)}.docx")


@login_required
@require_GET
def evaluation_pdf(request):
    documents, _ = _documents(request)
    if documents is None:
        raise Http404("没有报告期")
    try:
        data = documents.pdf()
    except DomainError as error:
        raise Http404(error.message) from error
    return download(data, f"{report_title(documents.evaluation)}.pdf")


@login_required
@require_GET
def evaluation_xlsx(request):
    documents, _ = _documents(request)
    if documents is None:
        raise Http404("没有报告期")
    return download(documents.xlsx(), f"{report_title(documents.evaluation)}.xlsx")
