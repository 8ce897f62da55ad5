"""Street implementation plans (实施方案 / 年度建设计划): the year's overview and one
street's plan with its document. Rules live in `plans.street_plans`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shequ.core.errors import DomainError
from shequ.plans.evidence import document_from_upload
from shequ.plans.models import StreetPlan
from shequ.plans.street_plans import (
    may_file_street_plan,
    require_street_plan_filer,
    street_plan_save,
    street_year,
)
from shequ.web.downloads import stored_file
from shequ.web.plan_forms import StreetPlanForm
from shequ.web.query import query_year
from shequ.web.scoping import node_scope


@login_required
@require_GET
def street_plans(request):
    scope = node_scope(request)
    year = query_year(request)
    streets = scope.streets().active().order_by("code")
    if scope.node.is_street:
        return redirect("street_plan", street_code=scope.node.code, year=year)
    return render(
        request,
        "plans/street_plans.html",
        {
            "year": year,
            "years": range(year - 3, year + 3),
            "rows": [street_year(street, year) for street in streets],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def street_plan(request, street_code: str, year: int):
    scope = node_scope(request)
    street = get_object_or_404(scope.streets(), code=street_code)
    current = StreetPlan.objects.filter(street=street, year=year).first()
    initial = {"title": f"{street.name}{year}年城乡社区综合服务设施建设实施方案"}
    if current:
        initial = {"title": current.title, "notes": current.notes}
    if request.method == "POST":
        require_street_plan_filer(scope, street)  # the role first, then what was typed
    form = StreetPlanForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            upload = form.cleaned_data.get("document")
            street_plan_save(
                scope=scope,
                street=street,
                year=year,
                title=form.cleaned_data["title"],
                notes=form.cleaned_data["notes"],
                document=document_from_upload(upload) if upload else None,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, "实施方案已保存")
            return redirect("street_plan", street_code=street.code, year=year)
    return render(
        request,
        "plans/street_plan.html",
        {
            "data": street_year(street, year),
            "form": form,
            "can_file": may_file_street_plan(scope, street),
            "years": range(year - 3, year + 3),
        },
    )


@login_required
@require_GET
def street_plan_document(request, street_code: str, year: int):
    scope = node_scope(request)
    street = get_object_or_404(scope.streets(), code=street_code)
    plan = get_object_or_404(StreetPlan, street=street, year=year)
    if not plan.document:
        raise Http404("尚未上传文件")
    return stored_file(plan.document, plan.document_name)
