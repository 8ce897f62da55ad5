"""Views translate HTTP to domain calls and back; no rules live here."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from shequ.accounts.audit_log import (
    AuditSearch,
    audit_events_visible_to,
    audit_search,
    may_read_audit_log,
    object_label,
    users_visible_to,
)
from shequ.accounts.scope import scope_for
from shequ.accounts.services import may_change_regions
from shequ.compliance import joined_history
from shequ.core import inbox
from shequ.ledger.models import Period
from shequ.regions.levels import UrbanRural
from shequ.regions.models import Region
from shequ.web.audit_forms import AuditSearchForm
from shequ.web.paging import paged
from shequ.web.scoping import node_scope


def scoped_region(request, code: str) -> Region:
    """The region named in the URL, or 404 if it lies outside the user's node."""
    return get_object_or_404(scope_for(request.user).regions(), code=code)


@login_required
def region_browser(request, code: str | None = None):
    scope = node_scope(request)
    region = scope.node if code is None else scoped_region(request, code)
    context = {
        "region": region,
        "breadcrumb": _breadcrumb(scope, region),
        "can_manage": may_change_regions(scope, region),
        "show_ended": request.GET.get("ended") == "1",
    }
    if region.is_community:
        context["versions"] = region.versions.select_related("parent").order_by("valid_from")
        # Linked only where the reader may open them (a community user's predecessors
        # may lie outside their node).
        context["origin"] = joined_history.origin(scope, region)
        context["handover"] = joined_history.handover(scope, region)
        return render(request, "web/region_community.html", context)
    children = region.children.order_by("code")
    if not context["show_ended"]:
        children = children.active()
    if region.is_street:
        context["communities"] = children
        context["totals"] = _class_totals(children)
        return render(request, "web/region_street.html", context)
    context["children"] = _with_community_counts(children)
    context["totals"] = _class_totals(Region.objects.active().communities().within(region))
    return render(request, "web/region_district.html", context)


def _breadcrumb(scope, region: Region) -> list[Region]:
    """Ancestors the user may open, from their own node down to `region`."""
    codes = region.ancestor_codes
    ancestors = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [ancestors[c] for c in codes if c in ancestors and scope.contains(ancestors[c])]


def _class_totals(communities) -> dict:
    counts = communities.aggregate(
        total=Count("id"),
        urban=Count("id", filter=Q(urban_rural_class=UrbanRural.URBAN)),
        rural=Count("id", filter=Q(urban_rural_class=UrbanRural.RURAL)),
    )
    return counts


def _with_community_counts(children) -> list[Region]:
    """Each child with how many active communities, urban and rural, lie below it."""
    result = list(children)
    active = Region.objects.active().communities()
    for child in result:
        below = active.filter(path__startswith=child.path)
        child.counts = _class_totals(below)
    return result


AUDIT_PER_PAGE = 50


@login_required
@require_GET
def audit_log(request):
    """The audit trail within the admin's node, searched by who, what and when."""
    scope = scope_for(request.user)
    if not may_read_audit_log(scope):
        raise PermissionDenied("操作记录只有管理员可以查看")
    form = AuditSearchForm(request.GET, periods=Period.objects.order_by("-ordinal"))
    search = form.search()
    events = audit_search(audit_events_visible_to(scope), search)
    page, query = paged(request, events.select_related("user"), AUDIT_PER_PAGE)
    for event in page:
        event.object_label = object_label(event.target_type)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "searched": search != AuditSearch(),
        "users": users_visible_to(scope).values_list("username", "full_name"),
    }
    return render(request, "web/audit.html", context)


NOTIFICATIONS_PER_PAGE = 20


@login_required
@require_GET
def notifications(request):
    """The user's notifications, unread first, a page at a time, filtered by kind. A
    notification is read when it is opened (or all at once), not when it is listed, so
    what waits stays on top."""
    kind = request.GET.get("kind", inbox.ALL)
    if not inbox.is_kind(kind):
        messages.warning(request, "没有这一类通知，下面列出全部通知。")
        kind = inbox.ALL
    page, query = paged(request, inbox.inbox(request.user, kind), NOTIFICATIONS_PER_PAGE)
    tabs = inbox.kind_tabs(request.user, kind)
    context = {
        "page": page,
        "query": query,
        "kind": kind,
        "tabs": tabs,
        "unread_here": next(tab.unread for tab in tabs if tab.kind == kind),
    }
    return render(request, "web/notifications.html", context)


@login_required
@require_GET
def notification_open(request, pk: int):
    """Open a notification: it is read now, and the user goes where it points."""
    notification = inbox.notification_open(request.user, pk)
    if notification is None:
        raise Http404("没有这条通知")
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read(request):
    """全部标为已读, of the kind the list shows."""
    kind = request.POST.get("kind", inbox.ALL)
    if not inbox.is_kind(kind):
        kind = inbox.ALL
    count = inbox.mark_all_read(request.user, kind)
    messages.success(request, f"已将 {count} 条通知标为已读。")
    url = reverse("notifications")
    return redirect(f"{url}?{urlencode({'kind': kind})}" if kind else url)
