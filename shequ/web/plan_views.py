"""一社区一方案 pages: the list (filterable) and one plan with its measures, consultations
and state actions. Rules live in `plans.services`; these views parse and dispatch."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from shequ.accounts.scope import Scope
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.core.versions import StaleEdit
from shequ.ledger.export import chinese_date
from shequ.plans import services
from shequ.plans.checks import overdue_measures, plan_warnings, planned_total, with_overdue_flag
from shequ.plans.documents import (
    gap_row,
    plan_docx,
    plan_papers,
    plans_docx,
    summary_lines,
    summary_title,
    write_summary_xlsx,
)
from shequ.plans.evidence import evidence_from_upload
from shequ.plans.models import Measure, Plan
from shequ.plans.queries import plans_filtered, plans_in_state, plans_visible_to, state_tabs
from shequ.regions.models import Region
from shequ.web.asset_views import measure_form, suggestions_context
from shequ.web.conflicts import act_as_read, edited, page_status, rebased
from shequ.web.downloads import download, stored_file
from shequ.web.paging import paged, query_without
from shequ.web.plan_forms import (
    CloseForm,
    ConsultationForm,
    PlanFilterForm,
    SendBackForm,
    TargetYearForm,
)
from shequ.web.query import posted_id, query_id
from shequ.web.scoping import node_scope
from shequ.web.subsidy_views import plan_measure_funds
from shequ.workflow import measures

PROGRAMMES = ("城市品质提升", "老旧小区改造", "乡村振兴", "城市更新", "党群服务中心建设")
LIST_ORDER = ("street__code", "community__code", "-created_at")


@login_required
@require_GET
def plan_list(request):
    """The open plans by default; tabs per state with their counts; street, method and
    overdue filters kept in the tabs' and pages' links."""
    scope = node_scope(request)
    form, plans, tabs = _listed(request, scope, timezone.localdate())
    plans = plans.select_related("community", "street", "gap_period").annotate(
        planned=Coalesce(Sum("measures__planned_area"), Value(0), output_field=DecimalField()),
        measure_count=Count("measures"),
    )
    page, query = paged(request, plans.order_by(*LIST_ORDER), 50)
    return render(
        request,
        "plans/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "tabs": tabs,
            "state": form.chosen_state(),
            "tab_query": query_without(request, "state", "page"),
            # One document of a street's plans: once the list is down to one street.
            "street_document": bool(form.criteria()["street"] or scope.own_street),
        },
    )


def _listed(request, scope: Scope, today):
    """The filter form, the plans it selects (in scope), and the state tabs counted over
    the plans the other filters select."""
    form = PlanFilterForm(request.GET, streets=scope.streets().active().order_by("code"))
    plans = with_overdue_flag(plans_visible_to(scope), today)
    plans = plans_filtered(plans, **form.criteria())
    return form, plans_in_state(plans, form.chosen_state()), state_tabs(plans)


def _plan(scope: Scope, pk: int) -> Plan:
    return get_object_or_404(
        plans_visible_to(scope).select_related("community", "street", "gap_period"), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    scope = node_scope(request)
    plan = _plan(scope, pk)
    forms = _blank_forms(scope, plan, request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        done = _act(scope, plan, action, request, forms)
        if done:
            messages.success(request, done)
            return redirect("plan_detail", pk=plan.pk)
    status = page_status(forms)
    context = _detail_context(scope, plan, forms, request)
    return render(request, "plans/detail.html", context, status=status)


def _blank_forms(scope: Scope, plan: Plan, request) -> dict:
    editing = query_id(request, "edit", "所改措施") or posted_id(request, "measure", "措施")
    measure = plan.measures.filter(pk=editing).first() if editing else None
    # A suggestion's button opens the page with ?asset=: a new measure using that asset.
    prefill = request.GET.get("asset") if request.method == "GET" else None
    return {
        "measure": measure_form(scope, plan, instance=measure, prefill=prefill),
        "editing": measure,
        "consult": ConsultationForm(prefix="c"),
        "target": TargetYearForm(initial={"target_year": plan.target_year}),
        "close": CloseForm(initial={"closed_on": timezone.localdate()}),
        "send_back": SendBackForm(),
    }


def _act(scope: Scope, plan: Plan, action: str, request, forms: dict) -> str | None:
    """Run one posted action; a success message, or None with the errors in `forms`."""
    handlers = {
        "measure": _post_measure,
        "delete": _post_delete,
        "consult": _post_consult,
        "target": _post_target,
        "start": _post_start,
        "request_close": _post_request_close,
        "send_back": _post_send_back,
        "close": _post_close,
    }
    if action not in handlers:
        raise Http404("未知操作")
    try:
        return handlers[action](scope, plan, request, forms)
    except DomainError as error:
        messages.error(request, error.message)
        return None


def _bound_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _post_measure(scope, plan, request, forms):
    measure = forms["editing"]
    form = measure_form(scope, plan, data=request.POST, instance=measure)
    forms["measure"] = form
    if not form.is_valid():
        return None
    values = {name: form.cleaned_data.get(name) for name in services.MEASURE_FIELDS}
    if measure is not None:  # what they did not change keeps what is stored
        changed = edited(form)
        stored = {name: getattr(measure, name) for name in services.MEASURE_FIELDS}
        values = stored | {name: values[name] for name in changed if name in values}
    try:
        measures.measure_save(
            scope=scope,
            plan=plan,
            values=values,
            measure=measure,
            expected_version=form.cleaned_data.get("version"),
        )
    except StaleEdit as stale:
        # What they changed stays, on top of what is stored now; the page shows both.
        current = Measure.objects.get(pk=measure.pk)
        data = rebased(form, measure_form(scope, plan, instance=current))
        forms["measure"] = measure_form(scope, plan, data=data, instance=current)
        forms["conflict"] = stale
        return None
    except DomainError as error:
        _bound_error(form, error)
        return None
    return "措施已保存"


def _post_delete(scope, plan, request, forms):
    measure = get_object_or_404(Measure, pk=posted_id(request, "measure", "措施"), plan=plan)

    def delete(version: int | None) -> None:
        measures.measure_delete(scope=scope, measure=measure, expected_version=version)

    return "措施已删除" if act_as_read(request, forms, delete) else None


def _post_consult(scope, plan, request, forms):
    form = ConsultationForm(request.POST, prefix="c")
    forms["consult"] = form
    if not form.is_valid():
        return None
    try:
        services.consultation_add(scope=scope, plan=plan, **form.cleaned_data)
    except DomainError as error:
        _bound_error(form, error)
        return None
    return "征求意见已记录"


def _post_target(scope, plan, request, forms):
    form = TargetYearForm(request.POST)
    forms["target"] = form
    if not form.is_valid():
        return None
    services.plan_set_target_year(scope=scope, plan=plan, year=form.cleaned_data["target_year"])
    return "目标年度已修改"


def _post_start(scope, plan, request, forms):
    services.plan_start(scope=scope, plan=plan)
    return "方案已开始实施"


def _post_request_close(scope, plan, request, forms):
    services.plan_request_close(scope=scope, plan=plan)
    return "已申请销号，等待区级审核"


def _post_send_back(scope, plan, request, forms):
    form = SendBackForm(request.POST)
    forms["send_back"] = form
    if not form.is_valid():
        return None
    services.plan_send_back(scope=scope, plan=plan, reason=form.cleaned_data["reason"])
    return "已退回，方案回到“实施中”"


def _post_close(scope, plan, request, forms):
    form = CloseForm(request.POST, request.FILES)
    forms["close"] = form
    if not form.is_valid():
        return None
    try:
        upload = form.cleaned_data.get("evidence")
        services.plan_close(
            scope=scope,
            plan=plan,
            closed_on=form.cleaned_data["closed_on"],
            note=form.cleaned_data["note"],
            evidence=evidence_from_upload(upload) if upload else None,
        )
    except DomainError as error:
        _bound_error(form, error)
        return None
    return "已销号"


def _detail_context(scope: Scope, plan: Plan, forms: dict, request) -> dict:
    today = timezone.localdate()
    latest = services.latest_approved_row(plan)
    plan = (
        Plan.objects.select_related("community", "street", "gap_period", "outcome_period")
        .prefetch_related("measures__asset__street", "consultations")
        .get(pk=plan.pk)
    )
    return {
        "plan": plan,
        "warnings": plan_warnings(plan, today),
        "planned": planned_total(plan),
        "overdue": {m.pk for m in overdue_measures(plan, today)},
        "can_edit": services.may_edit_plan(scope, plan),
        "can_start": services.may_start_plan(scope, plan),
        "can_request_close": services.may_request_close(scope, plan),
        "can_verify": plan.is_open and services.is_plan_verifier(scope, plan),
        "can_close": services.may_close_plan(scope, plan),
        "can_send_back": services.may_send_back_plan(scope, plan),
        "latest": latest,
        "closable": services.shows_compliant(latest),
        "programmes": PROGRAMMES,
        "history": plan_history(plan),
        **suggestions_context(scope, plan),
        "measure_funds": plan_measure_funds(scope, plan),
        **forms,
    }


def plan_history(plan: Plan):
    return AuditEvent.objects.filter(target_type="plan", target_id=str(plan.pk))[:50]


@login_required
@require_GET
def plan_summary_xlsx(request):
    """The 一社区一方案 summary table of the plans the list shows (same filters, same scope)."""
    scope = node_scope(request)
    today = timezone.localdate()
    _, plans, _ = _listed(request, scope, today)
    stream = io.BytesIO()
    unit = scope.node.name
    write_summary_xlsx(unit, summary_lines(plans.order_by(*LIST_ORDER), today), today, stream)
    return download(stream.getvalue(), f"{summary_title(unit)}.xlsx")


@login_required
@require_GET
def plan_word(request, pk: int):
    """One plan as a Word document, to print and sign."""
    plan = _plan(node_scope(request), pk)
    plan = Plan.objects.prefetch_related("measures", "consultations").get(pk=plan.pk)
    data = plan_docx(
        plan,
        gap_row(plan),
        settings.SHEQU_DISTRICT_NAME,
        today=timezone.localdate(),
        now=timezone.now(),
    )
    return download(data, f"{plan.community.name}一社区一方案.docx")


@login_required
@require_GET
def plan_street_word(request):
    """The plans the list shows (same filters, same scope) of one street, in one Word
    document: the street chosen in the filter, or the user's own street."""
    scope = node_scope(request)
    today = timezone.localdate()
    form, plans, _ = _listed(request, scope, today)
    street = _document_street(scope, form)
    papers = plan_papers(plans.filter(street=street).order_by(*LIST_ORDER))
    if not papers:
        raise Http404(f"{street.name}没有符合条件的方案")
    title = f"{street.name}一社区一方案"
    data = plans_docx(
        papers, settings.SHEQU_DISTRICT_NAME, title=title, today=today, now=timezone.now()
    )
    return download(data, f"{title}（{chinese_date(today)}）.docx")


def _document_street(scope: Scope, form: PlanFilterForm) -> Region:
    """The street whose plans go in one document: the filter's (in scope, or 404), else
    the user's own; a district user must choose one."""
    code = form.criteria()["street"]
    if "street" in form.errors:
        raise Http404("所选街镇不存在或不在您的管辖范围内")
    if code:
        return scope.streets().get(code=code)
    if scope.own_street is None:
        raise Http404("请先选择街镇")
    return scope.own_street


@login_required
@require_GET
def plan_evidence(request, pk: int):
    """The 销号 evidence, to users who may see the plan only."""
    plan = _plan(node_scope(request), pk)
    if not plan.evidence:
        raise Http404("没有佐证文件")
    return stored_file(plan.evidence, plan.evidence_name)
