"""Views translate HTTP to domain calls and back; no rules live here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shequ.accounts.roles import Permission
from shequ.accounts.scope import scope_for
from shequ.core.models import AuditEvent
from shequ.regions.levels import UrbanRural
from shequ.regions.models import Region
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
        "can_manage": scope.can(Permission.MANAGE, region),
        "show_ended": request.GET.get("ended") == "1",
    }
    if region.is_community:
        context["versions"] = region.versions.select_related("parent").order_by("valid_from")
        context["predecessors"] = region.predecessions.select_related("predecessor")
        context["successors"] = region.successions.select_related("successor")
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


@login_required
@require_http_methods(["GET"])
def audit_log(request):
    scope = scope_for(request.user)
    if not scope.can(Permission.MANAGE):
        raise PermissionDenied
    within = Q(region_path__startswith=scope.path_prefix())
    if scope.is_root:
        within |= Q(region_path="")  # tree-wide events (loads, settings) belong to the root
    events = AuditEvent.objects.filter(within)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page})


@login_required
def notifications(request):
    """The user's notifications, newest first; opening the page marks them read."""
    items = list(request.user.notifications.all()[:100])
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "web/notifications.html", {"items": items})
