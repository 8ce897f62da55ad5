"""The 区划调整 page: administrators rename, move, reclassify, create, merge, split and
deactivate regions, each effective from a period."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from shequ.accounts.scope import scope_for
from shequ.accounts.services import may_change_regions
from shequ.core.errors import DomainError
from shequ.regions.levels import Level
from shequ.regions.models import Region
from shequ.web import forms
from shequ.web.views import scoped_region
from shequ.workflow import region_changes


@dataclass(frozen=True)
class Action:
    key: str
    title: str
    levels: tuple[str, ...]


ACTIONS = [
    Action("rename", "更名", (Level.STREET, Level.COMMUNITY)),
    Action("move", "调整隶属", (Level.COMMUNITY,)),
    Action("reclassify", "调整类别（含村改居）", (Level.COMMUNITY,)),
    Action("create", "新设社区/村", (Level.STREET,)),
    Action("merge", "合并社区/村", (Level.STREET,)),
    Action("split", "拆分", (Level.COMMUNITY,)),
    Action("deactivate", "撤销", (Level.STREET, Level.COMMUNITY)),
]


def _form(action: str, region: Region, scope, data=None):
    if action == "rename":
        return forms.RenameForm(data, prefix=action, initial={"name": region.name})
    if action == "move":
        parents = scope.streets().active().exclude(pk=region.parent_id)
        return forms.MoveForm(data, prefix=action, parents=parents)
    if action == "reclassify":
        initial = {"urban_rural_class": region.urban_rural_class, "kind": region.kind}
        return forms.ReclassifyForm(data, prefix=action, initial=initial)
    if action == "create":
        return forms.CreateForm(data, prefix=action)
    if action == "merge":
        communities = region.children.active().order_by("code")
        return forms.MergeForm(data, prefix=action, communities=communities)
    if action == "split":
        return forms.SplitForm(data, prefix=action)
    return forms.DeactivateForm(data, prefix=action)


def _apply(action: str, region: Region, scope, data: dict[str, Any]) -> str:
    """Run the change for `action` with all that follows it; returns what to tell the
    user."""
    common = {"scope": scope, "effective": data["effective"], "reason": data["reason"]}
    if action == "rename":
        report = region_changes.change_rename(region=region, name=data["name"], **common)
    elif action == "move":
        report = region_changes.change_move(region=region, new_parent=data["new_parent"], **common)
    elif action == "reclassify":
        report = region_changes.change_reclassify(
            region=region,
            urban_rural_class=data["urban_rural_class"],
            kind=data["kind"],
            **common,
        )
    elif action == "create":
        report = region_changes.change_create(
            parent=region,
            code=data["code"],
            name=data["name"],
            urban_rural_class=data["urban_rural_class"] or None,
            **common,
        )
    elif action == "merge":
        report = region_changes.change_merge(
            sources=list(data["sources"]),
            code=data["code"],
            name=data["name"],
            into=data["into"],
            close_plans=data["plans"] == "withdraw",
            **common,
        )
    elif action == "split":
        report = region_changes.change_split(
            source=region,
            parts=data["parts"],
            plan_to=data["plan_to"] or None,
            close_plans=data["close_plans"],
            **common,
        )
    else:
        report = region_changes.change_deactivate(region=region, **common)
    return report.summary


@login_required
def region_change(request, code: str):
    region = scoped_region(request, code)
    scope = scope_for(request.user)
    if not may_change_regions(scope, region):
        raise PermissionDenied("只有管理员可以调整区划")
    actions = [a for a in ACTIONS if region.level in a.levels]
    posted = request.POST.get("action") if request.method == "POST" else None
    if posted and posted not in {a.key for a in actions}:
        raise PermissionDenied("该区划不能做这种调整")
    bound = {
        a.key: _form(a.key, region, scope, request.POST if a.key == posted else None)
        for a in actions
    }
    if posted and bound[posted].is_valid():
        try:
            message = _apply(posted, region, scope, bound[posted].cleaned_data)
        except DomainError as error:
            bound[posted].add_error(
                error.field if error.field in bound[posted].fields else None, error.message
            )
        else:
            messages.success(request, message)
            return redirect("region", code=region.code)
    sections = [{"action": a, "form": bound[a.key], "open": a.key == posted} for a in actions]
    return render(request, "web/region_change.html", {"region": region, "sections": sections})
