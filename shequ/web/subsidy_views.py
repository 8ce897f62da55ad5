"""补助资金 pages: a year's budget against what is allocated and paid, per street; the
allocations (filterable) and their .xlsx. Rules live in `subsidy.services`; these views
parse and dispatch."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from shequ.accounts.scope import Scope
from shequ.core.errors import DomainError
from shequ.core.versions import StaleEdit
from shequ.plans.models import Measure
from shequ.plans.queries import plans_visible_to
from shequ.subsidy import services
from shequ.subsidy.models import SubsidyAllocation, SubsidyBudget
from shequ.subsidy.queries import allocations_visible_to, funds_by_measure
from shequ.subsidy.workbook import allocations_title, write_allocations_xlsx
from shequ.web.conflicts import act_as_read, edited, page_status, rebased
from shequ.web.downloads import attachment
from shequ.web.query import posted_id, query_id
from shequ.web.scoping import node_scope
from shequ.web.subsidy_forms import AllocationForm, BudgetForm, CancelForm, FilterForm, PayForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(data) -> int:
    """The year asked for; this year when none (or nonsense) is given."""
    try:
        year = int(data.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if services.FIRST_YEAR <= year <= services.LAST_YEAR else timezone.localdate().year


def _page_url(year: int) -> str:
    return f"{reverse('subsidy')}?year={year}"


def _active_streets(scope: Scope):
    return scope.streets().active().order_by("code")


def _allocation_form(scope: Scope, data=None, initial=None) -> AllocationForm:
    measures = (
        Measure.objects.filter(plan__in=plans_visible_to(scope))
        .select_related("plan__community", "plan__street")
        .order_by("plan__street__code", "plan__community__code", "pk")
    )
    communities = scope.communities().active().select_related("parent").order_by("code")
    return AllocationForm(
        data,
        initial=initial,
        prefix="a",
        streets=_active_streets(scope),
        measures=measures,
        communities=communities,
    )


@login_required
@require_http_methods(["GET", "POST"])
def subsidy_page(request):
    scope = node_scope(request)
    year = _year(request.POST if request.method == "POST" else request.GET)
    forms = _blank_forms(scope, year, request)
    if request.method == "POST":
        done = _act(scope, year, request, forms)
        if done:
            messages.success(request, done)
            return redirect(_page_url(year))
    status = page_status(forms)
    return render(
        request, "subsidy/page.html", _context(scope, year, request, forms), status=status
    )


def _blank_forms(scope: Scope, year: int, request) -> dict:
    editing = _editing(scope, request)
    budget = SubsidyBudget.objects.filter(year=year).first()
    initial = {"amount": budget.amount, "notes": budget.notes} if budget else None
    return {
        "budget_form": BudgetForm(initial=initial, prefix="b"),
        "allocation_form": _allocation_form(scope, initial=_initial(editing)),
        "editing": editing,
    }


def _editing(scope: Scope, request) -> SubsidyAllocation | None:
    """The allocation the form changes: the one an `allocate` post saves, or the one
    `?edit=` opened. A refused payment or cancellation posts its allocation too, and
    must leave the form as it was (安排资金), not open that allocation for editing."""
    posted = request.method == "POST" and request.POST.get("action") == "allocate"
    pk = posted_id(request, "allocation", "拨付") if posted else None
    pk = pk or query_id(request, "edit", "所改拨付")
    if not pk or not services.may_manage(scope):
        return None
    return get_object_or_404(allocations_visible_to(scope), pk=pk)


def _initial(allocation: SubsidyAllocation | None) -> dict | None:
    if allocation is None:
        return None
    return {
        "street": allocation.street_id,
        "purpose": allocation.purpose,
        "measure": allocation.measure_id,
        "community": allocation.community_id,
        "amount": allocation.amount,
        "notes": allocation.notes,
        "version": allocation.version,
    }


def _act(scope: Scope, year: int, request, forms: dict) -> str | None:
    """Run one posted action; a success message, or None with the errors shown."""
    handlers = {
        "budget": _post_budget,
        "allocate": _post_allocate,
        "pay": _post_pay,
        "cancel": _post_cancel,
    }
    action = request.POST.get("action", "")
    if action not in handlers:
        raise Http404("未知操作")
    try:
        return handlers[action](scope, year, request, forms)
    except DomainError as error:
        messages.error(request, error.message)
        return None


def _bound_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _post_budget(scope: Scope, year: int, request, forms: dict) -> str | None:
    services.require_manager(scope, "设定补助资金预算")  # the role before any parsing
    form = BudgetForm(request.POST, prefix="b")
    forms["budget_form"] = form
    if not form.is_valid():
        return None
    try:
        budget = services.budget_set(scope=scope, year=year, **form.cleaned_data)
    except DomainError as error:
        _bound_error(form, error)
        return None
    return f"{year}年补助资金预算已设为 {services.wan(budget.amount)} 万元"


def _post_allocate(scope: Scope, year: int, request, forms: dict) -> str | None:
    services.require_manager(scope)
    form = _allocation_form(scope, data=request.POST)
    forms["allocation_form"] = form
    if not form.is_valid():
        return None
    editing = forms["editing"]
    values = dict(form.cleaned_data)
    version = values.pop("version", None)
    if editing is not None:  # what they did not change keeps what is stored
        stored = {name: getattr(editing, name) for name in values}
        values = stored | {name: values[name] for name in edited(form)}
    try:
        if editing is None:
            result = services.allocation_create(scope=scope, year=year, **values)
        else:
            result = services.allocation_update(
                scope=scope, allocation=editing, year=year, expected_version=version, **values
            )
    except StaleEdit as stale:
        # What they typed stays, against the version now stored; the page shows both.
        editing.refresh_from_db()
        data = rebased(form, _allocation_form(scope, initial=_initial(editing)))
        forms["allocation_form"] = _allocation_form(scope, data=data)
        forms["conflict"] = stale
        return None
    except DomainError as error:
        _bound_error(form, error)
        return None
    for warning in result.warnings:
        messages.warning(request, warning)
    allocation = result.allocation
    verb = "已修改" if editing else "已安排"
    return (
        f"{verb}{allocation.street.name}{allocation.get_purpose_display()} {allocation.amount} 万元"
    )


def _posted_allocation(scope: Scope, request) -> SubsidyAllocation:
    # Another street's allocation is not found (404), as everywhere else.
    allocation = posted_id(request, "allocation", "拨付")
    return get_object_or_404(allocations_visible_to(scope), pk=allocation)


def _post_pay(scope: Scope, year: int, request, forms: dict) -> str | None:
    allocation = _posted_allocation(scope, request)
    form = PayForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写拨付日期")
        return None

    def pay(version: int | None) -> None:
        services.allocation_mark_paid(
            scope=scope,
            allocation=allocation,
            paid_on=form.cleaned_data["paid_on"],
            expected_version=version,
        )

    if not act_as_read(request, forms, pay):
        return None
    return f"已拨付{allocation.street.name} {allocation.amount} 万元"


def _post_cancel(scope: Scope, year: int, request, forms: dict) -> str | None:
    allocation = _posted_allocation(scope, request)
    form = CancelForm(request.POST)
    if not form.is_valid():
        services.require_manager(scope)  # the role first, then the missing reason
        messages.error(request, "请填写取消原因")
        return None

    def cancel(version: int | None) -> None:
        services.allocation_cancel(
            scope=scope, allocation=allocation, expected_version=version, **form.cleaned_data
        )

    if not act_as_read(request, forms, cancel):
        return None
    return f"已取消{allocation.street.name} {allocation.amount} 万元的安排"


def _filtered_allocations(scope: Scope, year: int, filters: FilterForm):
    allocations = allocations_visible_to(scope).filter(year=year)
    if filters.is_valid():
        if filters.cleaned_data.get("street"):
            allocations = allocations.filter(street__code=filters.cleaned_data["street"])
        if filters.cleaned_data.get("purpose"):
            allocations = allocations.filter(purpose=filters.cleaned_data["purpose"])
    return allocations.select_related("street", "community", "measure__plan").order_by(
        "street__code", "pk"
    )


def _years(scope: Scope, year: int) -> list[int]:
    """Years with a budget or an allocation the caller sees, this year, next year, and the
    year shown."""
    this_year = timezone.localdate().year
    years = set(SubsidyBudget.objects.values_list("year", flat=True))
    years |= set(allocations_visible_to(scope).values_list("year", flat=True).distinct())
    return sorted(years | {this_year, this_year + 1, year}, reverse=True)


def _context(scope: Scope, year: int, request, forms: dict) -> dict:
    streets = _active_streets(scope)
    filters = FilterForm(request.GET, streets=streets)
    allocations = list(_filtered_allocations(scope, year, filters))
    return {
        "year": year,
        "years": _years(scope, year),
        "status": services.budget_status(year, scope=scope),
        "warn_share": services.warn_share(),
        "allocations": allocations,
        "listed_total": sum((a.amount for a in allocations), Decimal("0")),
        "filters": filters,
        "query": request.GET.urlencode(),
        "can_manage": services.may_manage(scope),
        "can_pay": services.may_pay(scope),
        **_allocation_gates(scope, allocations),
        "today": timezone.localdate(),
        **forms,
    }


def _allocation_gates(scope: Scope, allocations: list[SubsidyAllocation]) -> dict:
    """Which allocations the caller is offered to pay, change and cancel."""
    return {
        "payable": {a.pk for a in allocations if services.may_pay_allocation(scope, a)},
        "changeable": {a.pk for a in allocations if services.may_change_allocation(scope, a)},
        "cancellable": {a.pk for a in allocations if services.may_cancel_allocation(scope, a)},
    }


@login_required
@require_GET
def subsidy_xlsx(request):
    """The year's allocations the caller sees (with the page's filters) as .xlsx."""
    scope = node_scope(request)
    year = _year(request.GET)
    streets = _active_streets(scope)
    filters = FilterForm(request.GET, streets=streets)
    allocations = list(_filtered_allocations(scope, year, filters))
    status = services.budget_status(year, scope=scope)
    unit = settings.SHEQU_DISTRICT_NAME if status.district_wide else scope.node.name
    response = HttpResponse(content_type=XLSX)
    write_allocations_xlsx(
        unit=unit,
        status=status,
        allocations=allocations,
        today=timezone.localdate(),
        target=response,
    )
    response["Content-Disposition"] = attachment(f"{allocations_title(unit, year)}.xlsx")
    return response


def plan_measure_funds(scope: Scope, plan) -> list[dict]:
    """For the plan page: each measure with district subsidy, what is allocated and paid."""
    measures = list(plan.measures.all())
    funds = funds_by_measure(scope, [m.pk for m in measures])
    return [
        {
            "measure": measure,
            "funds": funds[measure.pk],
            "over_budget": measure.budget is not None
            and funds[measure.pk].allocated > measure.budget,
        }
        for measure in measures
        if measure.pk in funds
    ]
