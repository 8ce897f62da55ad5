"""便民服务中心功能设置 pages: the overview of a district or street, one community's
checklist as a form, and its photos (served only within scope). Rules live in
`shequ.checklist`; these views parse and dispatch."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shequ.accounts.scope import Scope
from shequ.checklist import queries
from shequ.checklist.items import BY_CODE, ITEMS, KIND_LABELS, TOTAL
from shequ.checklist.models import ChecklistEntry
from shequ.checklist.photos import content_type_of, photo_from_upload
from shequ.checklist.services import (
    checklist_update,
    may_edit_checklist,
    require_checklist_editor,
)
from shequ.core.errors import DomainError
from shequ.regions.models import Region
from shequ.web.scoping import node_scope


def _region(scope: Scope, code: str | None) -> Region:
    """The region in the URL, or 404 outside the user's node (never 403: no hint it exists)."""
    if code is None:
        return scope.node
    return get_object_or_404(scope.regions(), code=code)


def _breadcrumb(scope: Scope, region: Region) -> list[Region]:
    codes = region.ancestor_codes
    above = {r.code: r for r in scope.regions().filter(code__in=codes)}
    return [above[c] for c in codes if c in above] + [region]


@login_required
@require_http_methods(["GET", "POST"])
def checklist(request, code: str | None = None):
    scope = node_scope(request)
    region = _region(scope, code)
    if region.is_community:
        return _community(request, scope, region)
    if request.method != "GET":
        raise Http404
    if region.is_street:
        return _street(request, scope, region)
    return _district(request, scope, region)


def _district(request, scope: Scope, region: Region):
    streets = {s.pk: s for s in scope.streets().filter(path__startswith=region.path)}
    figures = queries.completeness_by_street(region)
    missing_by_street: dict[int, Counter] = defaultdict(Counter)
    for line in queries.communities_completeness(region):
        missing_by_street[line.community.parent_id].update(line.missing)
    rows = [
        {
            "street": streets[pk],
            "figures": figures[pk],
            "missing": missing_by_street[pk].most_common(3),
            "width": float(figures[pk].share or 0) * 100,
        }
        for pk in sorted(figures, key=lambda pk: streets[pk].code)
        if pk in streets
    ]
    communities = sum(r["figures"].communities for r in rows)
    return render(
        request,
        "checklist/district.html",
        {
            "region": region,
            "breadcrumb": _breadcrumb(scope, region),
            "rows": rows,
            "communities": communities,
            "complete": sum(r["figures"].complete for r in rows),
            "share": _overall_share(rows),
            "missing": queries.missing_items(region, limit=8),
            "total": TOTAL,
        },
    )


def _overall_share(rows):
    """The district's share weighs every community alike (as the streets' shares do)."""
    weighted = [r["figures"].share * r["figures"].communities for r in rows if r["figures"].share]
    communities = sum(r["figures"].communities for r in rows)
    return sum(weighted) / communities if communities else None


def _street(request, scope: Scope, street: Region):
    lines = queries.communities_completeness(street)
    return render(
        request,
        "checklist/street.html",
        {
            "region": street,
            "breadcrumb": _breadcrumb(scope, street),
            "lines": lines,
            "figures": queries.completeness_by_street(street).get(street.pk),
            "missing": queries.missing_items(street, limit=8),
            "total": TOTAL,
        },
    )


# ---------------------------------------------------------------- one community


def _posted_values(post) -> dict[str, dict]:
    return {
        item.code: {
            "present": post.get(f"{item.code}-present") == "on",
            "area": post.get(f"{item.code}-area", "") if item.is_room else None,
            "room_name": post.get(f"{item.code}-room_name", "") if item.is_room else "",
        }
        for item in ITEMS
    }


def _posted_photos(files) -> dict:
    """Every uploaded photo, checked before anything is saved (all or nothing)."""
    return {
        item.code: photo_from_upload(files[f"{item.code}-photo"], label=item.label)
        for item in ITEMS
        if f"{item.code}-photo" in files
    }


def _community(request, scope: Scope, community: Region):
    error = None
    if request.method == "POST":
        try:
            require_checklist_editor(scope, community)  # before reading any upload
            changed = checklist_update(
                scope=scope,
                community=community,
                values=_posted_values(request.POST),
                photos=_posted_photos(request.FILES),
                removed=[c for c in BY_CODE if request.POST.get(f"{c}-remove_photo") == "on"],
            )
        except DomainError as refused:
            error = refused
        else:
            saved = f"已保存（修改 {len(changed)} 项）" if changed else "没有修改"
            messages.success(request, saved)
            return redirect("checklist_region", community.code)
    return render(
        request,
        "checklist/community.html",
        _community_context(scope, community, request, error),
        status=400 if error else 200,
    )


def _community_context(scope, community, request, error):
    lines = queries.checklist_lines(community)
    present, total, missing = queries.community_completeness(community)
    posted = _posted_values(request.POST) if error else None
    return {
        "community": community,
        "breadcrumb": _breadcrumb(scope, community),
        "groups": _grouped(lines, posted, error),
        "present": present,
        "total": total,
        "missing": missing,
        "rooms": queries.shared_rooms([line.entry for line in lines if line.entry]),
        "room_names": sorted({line.entry.room_name for line in lines if line.entry} - {""}),
        "can_edit": may_edit_checklist(scope, community),
        "error": error,
    }


def _grouped(lines, posted, error):
    """Lines by kind (rooms, plaques, logo, then the extras), each with what the form
    shows: after a refusal, what was typed (so nothing is lost) and the field at fault."""
    groups: dict[str, list] = {}
    for line in lines:
        shown = posted[line.item.code] if posted else _stored(line)
        prefix = f"{line.item.code}-"
        at_fault = error.field or "" if error else ""
        groups.setdefault(line.item.kind, []).append(
            {
                "line": line,
                "shown": shown,
                "error": at_fault.removeprefix(prefix) if at_fault.startswith(prefix) else "",
            }
        )
    return [(KIND_LABELS[kind], kind, rows) for kind, rows in groups.items()]


def _stored(line) -> dict:
    entry = line.entry
    if entry is None:
        return {"present": False, "area": "", "room_name": ""}
    area = "" if entry.area is None else entry.area
    return {"present": entry.present, "area": area, "room_name": entry.room_name}


@login_required
@require_GET
def checklist_photo(request, code: str, item_code: str):
    """A photo, to users who may see the community only; served as the image type its
    content was checked to be."""
    community = _region(node_scope(request), code)
    entry = get_object_or_404(ChecklistEntry, community=community, item=item_code)
    if not entry.photo:
        raise Http404("没有照片")
    response = FileResponse(
        entry.photo.open("rb"),
        content_type=content_type_of(entry.photo.name),
        filename=entry.photo_name or "photo",
    )
    return response  # private, no-store like every answer to a signed-in user (web.security)
