"""Dashboards: a district (or any region above the street), a street, a community.

Everything they show comes from `compliance.summary` and `compliance.dashboard`; these
views only pick the region and period the user asked for, within their scope.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shequ.accounts.scope import Scope, scope_for
from shequ.checklist.queries import community_completeness
from shequ.compliance.dashboard import (
    approved_period_ids,
    chase_list,
    cheapest_way,
    community_history,
    default_period,
    judging_period,
    period_units,
    ranked,
    street_lines,
    trend,
    with_unapproved,
)
from shequ.compliance.joined_history import (
    ancestry,
    handover,
    inherited_history,
    joined_timeline,
    joined_trend,
    origin,
    region_change_events,
    trend_series_name,
)
from shequ.compliance.reminders import can_remind, remind_street
from shequ.compliance.summary import Summary, percent_figure, summary
from shequ.compliance.tallies import RATIO_BUCKET_LABELS
from shequ.compliance.targets import TargetBook
from shequ.core.db_router import reads_from_replica
from shequ.core.errors import DomainError
from shequ.ledger import rules
from shequ.ledger.models import Period
from shequ.ledger.rows import row_history
from shequ.plans.queries import open_plan_target_years, plan_counts, plans_visible_to
from shequ.regions.models import Region
from shequ.web.redirects import safe_target
from shequ.web.scoping import node_scope


def _scoped(scope: Scope, code: str | None) -> Region:
    if code is None:
        return scope.node
    return get_object_or_404(scope.regions(), code=code)


def _chosen_period(request, periods: list[Period], units) -> Period:
    """The period asked for; by default the latest one complete for the region."""
    asked = request.GET.get("period")
    chosen = next((p for p in periods if p.code == asked), None)
    return chosen or default_period(periods, units)


def _breadcrumb(scope: Scope, region: Region) -> list[Region]:
    codes = [*region.ancestor_codes, region.code]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found and scope.contains(found[c])]


@login_required
@require_GET
@reads_from_replica
def dashboard(request, code: str | None = None):
    scope = node_scope(request)
    region = _scoped(scope, code)
    if region.is_community:
        return redirect("community_page", region.code)
    periods = list(Period.objects.all())
    if not periods:
        return render(request, "compliance/dashboard.html", {"region": region, "period": None})
    units = period_units(region, periods)
    period = _chosen_period(request, periods, units)
    include_unapproved = request.GET.get("all") == "1"
    result = summary(
        scope=scope, period=period, region=region, include_unapproved=include_unapproved
    )
    if include_unapproved:
        units = with_unapproved(scope, region, periods, units, result)
    book = TargetBook.load()
    total = result.total
    # 催报 concerns the period being filled in, whichever period the leader is looking at.
    chase_period = next((p for p in periods if p.is_open), None)
    context = {
        "region": region,
        "breadcrumb": _breadcrumb(scope, region),
        "periods": [(p, units[p.pk].complete) for p in periods],
        "period": period,
        "include_unapproved": include_unapproved,
        "summary": result,
        "total": total,
        "children": ranked(result.children),
        # The way to the target is counted only on a complete period; before, the list
        # still shows the cheapest communities, without the ones that would close the gap.
        "cheapest": cheapest_way(
            period,
            region,
            result.standard,
            total.needed_for_target if total.complete else None,
            approved_only=result.approved_only,
        ),
        "chase_period": chase_period,
        "chase": chase_list(chase_period, region) if chase_period and not region.is_street else [],
        "can_remind": not region.is_street and can_remind(scope, region),
        "judged_on": judging_period(period.year, periods, approved_period_ids(region)),
        "chart": _chart_data(result, trend(periods, units, book)),
        "lines": street_lines(period, region, result.standard) if region.is_street else [],
        # A street's rows count once approved, or whenever 含未审核台账 is ticked.
        "figures_count": total.complete or include_unapproved,
        "plans": plan_counts(region, timezone.localdate()),
    }
    template = "compliance/street.html" if region.is_street else "compliance/dashboard.html"
    return render(request, template, context)


def _percent(rate: float | None) -> float | None:
    return percent_figure(rate)


def _chart_data(result: Summary, points) -> dict:
    """The charts' figures, in per cent with one decimal. A period in progress is a point
    of its own at the rate among the reported communities, never on the line."""
    total = result.total
    f = total.figures
    complete = total.complete
    return {
        "trend": {
            "labels": [p.period.label for p in points],
            "rates": [_percent(p.rate) for p in points],
            "in_progress": [_percent(p.rate_in_progress) for p in points],
            "coverage": [None if p.unit.complete else p.unit.coverage for p in points],
            "targets": [_percent(p.target) for p in points],
        },
        "classes": {
            "labels": ["城市社区", "农村社区"],
            # Before the period is complete, a class's rate is of its reported communities.
            "counted": [f.urban_communities, f.rural_communities]
            if complete
            else [f.urban_reported, f.rural_reported],
            "compliant": [f.urban_compliant, f.rural_compliant],
            "complete": complete,
        },
        "buckets": {
            "labels": [_unknown_bucket_label(result), *RATIO_BUCKET_LABELS[1:]],
            "counts": f.ratio_buckets,
        },
    }


def _unknown_bucket_label(result: Summary) -> str:
    """The first bucket holds the communities whose figures do not count in this mode."""
    if result.approved_only and not result.total.complete:
        return "未审核\n或未填"
    return "未填报"


@login_required
@require_POST
def remind(request, period_code: str, street_code: str):
    scope = scope_for(request.user)
    street = get_object_or_404(scope.streets(), code=street_code)
    period = get_object_or_404(Period, code=period_code)
    try:
        reminder = remind_street(scope=scope, period=period, street=street)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        _say_reminded(request, street, reminder)
    return redirect(safe_target(request, request.POST.get("next"), "dashboard"))


def _say_reminded(request, street, reminder) -> None:
    """The mail left when remind_street committed: say if some of it did not."""
    told = f"{reminder.days_left_text}，通知 {len(reminder.recipients)} 人"
    failures = reminder.mail_failures
    if not failures:
        messages.success(request, f"已向{street.name}发出催报提醒（{told}）")
        return
    messages.warning(
        request,
        f"已在系统内向{street.name}发出催报提醒（{told}），但 {len(failures)} 封邮件未能发送："
        f"{failures[0].reason}",
    )


def _two_decimals(ratio) -> float | None:
    rounded = rules.rounded_ratio(ratio)
    return None if rounded is None else float(rounded)


@login_required
@require_GET
@reads_from_replica
def community_page(request, code: str):
    scope = node_scope(request)
    community = _scoped(scope, code)
    if not community.is_community:
        return redirect("dashboard_region", community.code)
    history = community_history(community, open_plan_target_years([community.pk]))
    # Before a merge or a split, the predecessors' approved figures stand for the periods
    # the community has no rows of its own: the same territory, labelled as theirs.
    ancestors = ancestry(community)
    inherited = inherited_history(ancestors)
    latest = history[-1] if history else None
    events = list(row_history(latest.row)[:50]) if latest else []
    points = joined_trend(history, inherited)
    chart = {
        "labels": [p.period.label for p in points],
        "ratios": [_two_decimals(p.own) for p in points],
        "inherited": [_two_decimals(p.inherited) for p in points] if inherited else None,
        "inherited_name": trend_series_name(inherited),
        "standards": [float(p.standard) for p in points],
    }
    return render(
        request,
        "compliance/community.html",
        {
            "community": community,
            "breadcrumb": _breadcrumb(scope, community),
            "history": joined_timeline(history, inherited),
            "latest": latest,
            "events": events,
            "chart": chart,
            "handover": handover(scope, community),
            "origin": origin(scope, community),
            "region_events": region_change_events(
                [community.code, *(a.region.code for a in ancestors.values())]
            ),
            "plans": plans_visible_to(scope)
            .filter(community=community)
            .select_related("gap_period")
            .order_by("-created_at"),
            "checklist": community_completeness(community),
        },
    )
