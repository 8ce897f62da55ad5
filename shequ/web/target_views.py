"""The targets page: district administrators set each year's share (and the standard)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from shequ.accounts.scope import Scope, scope_for
from shequ.compliance.models import Target
from shequ.compliance.target_changes import may_set_targets, target_remove, target_set
from shequ.compliance.targets import TargetBook
from shequ.core.errors import DomainError
from shequ.ledger.models import Period
from shequ.regions.levels import Level
from shequ.web.forms import TargetForm

# The service names its fields; the form shows the share in per cent.
FORM_FIELDS = {"share": "share_percent", "standard": "standard", "region": "region"}


def _manager_scope(request) -> Scope:
    scope = scope_for(request.user)
    if not may_set_targets(scope):
        raise PermissionDenied("只有管理员可以设置达标目标")
    return scope


@login_required
@require_http_methods(["GET", "POST"])
def targets(request):
    scope = _manager_scope(request)
    regions = [scope.node, *scope.streets().active().order_by("code")]
    if request.method == "POST" and request.POST.get("remove"):
        return _remove(request, scope)
    form = TargetForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = next(r for r in regions if r.code == data["region"])
        try:
            target_set(
                scope=scope,
                year=data["year"],
                region=region,
                share=data["share_percent"] / Decimal(100),
                standard=data["standard"],
            )
        except DomainError as error:
            field = FORM_FIELDS.get(error.field)
            form.add_error(field, error.message)
        else:
            messages.success(request, f"已设置{region.name}{data['year']}年达标目标")
            return redirect("targets")
    return render(
        request,
        "compliance/targets.html",
        {"form": form, "years": _years(scope), "overrides": _overrides(scope)},
    )


def _years(scope: Scope) -> list[dict]:
    """Each year from the first target or period to next year, with what is in force."""
    book = TargetBook.load()
    own = {t.year: t for t in Target.objects.filter(region=scope.node)}
    known = [t.year for t in Target.objects.all()] + [p.year for p in Period.objects.all()]
    if not known:
        return []
    last = max(known) + 1
    return [
        {
            "year": year,
            "own": own.get(year),
            "share": book.share(scope.node.path, year),
            "standard": book.standard(year),
        }
        for year in range(min(known), last + 1)
    ]


def _overrides(scope: Scope):
    return (
        Target.objects.filter(region__path__startswith=scope.node.path, region__level=Level.STREET)
        .select_related("region")
        .order_by("year", "region__code")
    )


def _remove(request, scope: Scope):
    target = get_object_or_404(
        Target.objects.filter(region__path__startswith=scope.node.path), pk=request.POST["remove"]
    )
    try:
        target_remove(scope=scope, target=target)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已删除该街镇的单独目标，改按全区目标")
    return redirect("targets")
