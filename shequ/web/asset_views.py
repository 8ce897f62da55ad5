"""闲置资产 pages: the register (filterable, scoped), one asset with its edit form, and the
plan page's helpers (the suggestions panel and the measure form's asset choice). Rules live
in `shequ.assets`; these views parse and dispatch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shequ.accounts.scope import Scope
from shequ.assets import services
from shequ.assets.models import IdleAsset
from shequ.assets.queries import asset_streets, assets_usable_by, assets_visible_to
from shequ.assets.suggestions import measure_defaults, suggest_assets
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.core.versions import StaleEdit
from shequ.plans.models import Plan
from shequ.plans.queries import plans_visible_to
from shequ.regions.levels import is_above_street
from shequ.web.asset_forms import AssetFilterForm, AssetForm
from shequ.web.conflicts import CONFLICT_STATUS, edited, rebased, track_changes
from shequ.web.plan_forms import MeasureForm
from shequ.web.scoping import node_scope
from shequ.workflow.measures import may_delete_measure


@login_required
@require_GET
def asset_list(request):
    scope = node_scope(request)
    streets = list(asset_streets(scope))
    form = AssetFilterForm(request.GET or None, streets=streets)
    visible = assets_visible_to(scope)
    assets = visible.select_related("street").prefetch_related("measures__plan__community")
    if form.is_valid():
        assets = _filtered(assets, form.cleaned_data)
    page = Paginator(assets.order_by("street__code", "code"), 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _mark_uses(scope, page.object_list)
    return render(
        request,
        "assets/list.html",
        {
            "form": form,
            "page": page,
            "totals": _totals(visible),
            "can_add": services.may_manage_assets(scope),
            "one_street": len(streets) == 1,
            "query": request.GET.urlencode(),
        },
    )


def _filtered(assets, data: dict):
    for name, lookup in (("street", "street__code"), ("kind", "kind"), ("status", "status")):
        if data.get(name):
            assets = assets.filter(**{lookup: data[name]})
    return assets


def _totals(assets) -> list[tuple[str, int, object]]:
    """Count and area per status, for the line above the table."""
    rows = {
        r["status"]: r
        for r in assets.values("status").annotate(n=Count("pk"), area=Sum("area")).order_by()
    }
    return [
        (label, rows.get(value, {}).get("n", 0), rows.get(value, {}).get("area") or 0)
        for value, label in IdleAsset.Status.choices
    ]


def _mark_uses(scope: Scope, assets) -> None:
    """Set `used_in` (the plan whose measure uses the asset) and `used_elsewhere` on each
    asset of the page: another street's plan stays unnamed to a street user (the district
    may assign an asset across streets)."""
    measures = {a.pk: next(iter(a.measures.all()), None) for a in assets}
    plan_ids = {m.plan_id for m in measures.values() if m is not None}
    visible = set(plans_visible_to(scope).filter(pk__in=plan_ids).values_list("pk", flat=True))
    for asset in assets:
        measure = measures[asset.pk]
        asset.used_in = measure.plan if measure and measure.plan_id in visible else None
        asset.used_elsewhere = measure is not None and asset.used_in is None


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request):
    scope = node_scope(request)
    services.require_asset_registrar(scope)
    streets = list(asset_streets(scope))
    initial = {"street": streets[0].code if len(streets) == 1 else request.GET.get("street")}
    form = AssetForm(request.POST or None, initial=initial, streets=streets)
    if request.method == "POST" and form.is_valid():
        asset = _saved(form, lambda values: services.asset_create(scope=scope, values=values))
        if asset is not None:
            messages.success(request, f"已登记闲置资产“{asset.name}”（{asset.code}）")
            return redirect("asset_detail", pk=asset.pk)
    return render(request, "assets/new.html", {"form": form})


def _saved(form: AssetForm, save):
    """Run a service with the form's values; its refusal goes to the field at fault (a
    conflict with someone's save is the caller's to show)."""
    try:
        return save(form.values())
    except StaleEdit:
        raise
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def asset_detail(request, pk: int):
    scope = node_scope(request)
    asset = get_object_or_404(assets_visible_to(scope).select_related("street"), pk=pk)
    can_edit = services.may_edit_asset(scope, asset)
    streets = list(asset_streets(scope))
    conflict = None
    if request.method == "POST":
        services.require_asset_editor(scope, asset)
        form = _edit_form(asset, streets, data=request.POST)
        if form.is_valid():
            changed = edited(form)  # the others keep what is stored, also someone's change
            try:
                saved = _saved(
                    form,
                    lambda values: services.asset_update(
                        scope=scope,
                        asset=asset,
                        values={name: values[name] for name in changed},
                        expected_version=form.read_version(),
                    ),
                )
            except StaleEdit as stale:
                conflict, saved = stale, None
                asset.refresh_from_db()
                data = rebased(form, _edit_form(asset, streets))
                form = _edit_form(asset, streets, data=data)
            if saved is not None:
                messages.success(request, "闲置资产已保存")
                return redirect("asset_detail", pk=asset.pk)
    else:
        form = _edit_form(asset, streets)
    measure = asset.measures.select_related("plan__community", "plan__street").first()
    plan_visible = (
        measure is not None and plans_visible_to(scope).filter(pk=measure.plan_id).exists()
    )
    return render(
        request,
        "assets/detail.html",
        {
            "asset": asset,
            "form": form,
            "can_edit": can_edit,
            "measure": measure,
            "plan_visible": plan_visible,
            "history": AuditEvent.objects.filter(target_type="asset", target_id=str(asset.pk))[:50],
            "conflict": conflict,
        },
        status=CONFLICT_STATUS if conflict else 200,
    )


def _edit_form(asset: IdleAsset, streets, data=None) -> AssetForm:
    form = AssetForm(data, initial=AssetForm.initial_for(asset), streets=streets)
    form.fields["status"].disabled = services.status_follows_measure(asset)
    track_changes(form)
    return form


# ---------------------------------------------------------------- on the plan page


def suggestions_context(scope: Scope, plan: Plan) -> dict:
    """What the plan page's measures and `assets/_suggestions.html` need: may the caller
    change the plan's measures (`can_change_measures`; only with an idle asset when they
    only assign assets, `can_assign`), and which measures may they delete."""
    return {
        "asset_suggestions": suggest_assets(scope, plan),
        "can_assign": services.assigns_only(scope, plan),
        "can_change_measures": services.may_assign_asset(scope, plan),
        "deletable": {m.pk for m in plan.measures.all() if may_delete_measure(scope, m)},
        "assets_where": "全区" if is_above_street(scope.node.level) else "本街镇",
    }


def measure_form(
    scope: Scope, plan: Plan, *, data=None, instance=None, prefill: str | None = None
) -> MeasureForm:
    """The plan page's measure form, its asset choice limited to what the caller may use;
    `prefill` is the asset of a suggestion's button (a new measure that uses it)."""
    initial = None
    if prefill and data is None and instance is None:
        if not prefill.isdigit():
            raise Http404("没有这项闲置资产")
        asset = get_object_or_404(assets_usable_by(scope), pk=int(prefill))
        initial = measure_defaults(asset, plan)
    form = MeasureForm(
        data,
        instance=instance,
        prefix="m",
        initial=initial,
        assets=assets_usable_by(scope, instance.asset_id if instance else None),
        require_asset=services.assigns_only(scope, plan),
    )
    track_changes(form)
    return form
