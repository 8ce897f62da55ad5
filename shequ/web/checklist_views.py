"""便民服务中心功能设置 pages: the overview of a district or street, one community's
checklist as a form, and its photos (served only within scope). Rules live in
`shequ.checklist`; these views parse and dispatch."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shequ.accounts.scope import Scope
from shequ.checklist import queries
from shequ.checklist.items import BY_CODE, ITEMS, KIND_LABELS, TOTAL
from shequ.checklist.models import ChecklistEntry
from shequ.checklist.photos import photo_from_upload
from shequ.checklist.services import (
    checklist_update,
    may_edit_checklist,
    require_checklist_editor,
)
from shequ.core.errors import DomainError
from shequ.core.versions import StaleEdit
from shequ.regions.models import Region
from shequ.web.conflicts import CONFLICT_STATUS
from shequ.web.downloads import stored_file
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


def _posted_versions(post) -> dict[str, int]:
    """The version of each item as the page was drawn (0: never saved); an item without
    one (a page from before versions) is not checked."""
    versions = {}
    for item in ITEMS:
        raw = post.get(f"{item.code}-version", "")
        if raw.isdigit():
            versions[item.code] = int(raw)
    return versions


def _comparable(values: dict) -> str:
    """An item's values as the page drew them, to tell later whether the user changed
    them (sent back as `{code}-was`)."""
    area = values.get("area")
    return json.dumps(
        [
            bool(values.get("present")),
            "" if area is None else str(area).strip(),
            str(values.get("room_name") or "").strip(),
        ],
        ensure_ascii=False,
    )


def _changed_items(post) -> set[str]:
    """The items the user changed on the page; the others are not sent to the service, so
    that someone else's change to them stands (an item drawn without `-was`: changed)."""
    posted = _posted_values(post)
    return {
        code for code, values in posted.items() if post.get(f"{code}-was") != _comparable(values)
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
        changed_items = _changed_items(request.POST)
        try:
            require_checklist_editor(scope, community)  # before reading any upload
            values = _posted_values(request.POST)
            versions = _posted_versions(request.POST)
            changed = checklist_update(
                scope=scope,
                community=community,
                values={code: values[code] for code in changed_items},
                photos=_posted_photos(request.FILES),
                removed=[c for c in BY_CODE if request.POST.get(f"{c}-remove_photo") == "on"],
                expected_versions={c: versions[c] for c in changed_items if c in versions},
            )
        except DomainError as refused:  # a StaleEdit too: shown with the current values
            error = refused
        else:
            saved = f"已保存（修改 {len(changed)} 项）" if changed else "没有修改"
            messages.success(request, saved)
            return redirect("checklist_region", community.code)
    return render(
        request,
        "checklist/community.html",
        _community_context(scope, community, request, error),
        status=_refusal_status(error),
    )


def _refusal_status(error: DomainError | None) -> int:
    if error is None:
        return 200
    return CONFLICT_STATUS if isinstance(error, StaleEdit) else 400


def _community_context(scope, community, request, error):
    lines = queries.checklist_lines(community)
    present, total, missing = queries.community_completeness(community)
    stale = isinstance(error, StaleEdit)
    return {
        "community": community,
        "breadcrumb": _breadcrumb(scope, community),
        "groups": _grouped(lines, request.POST if error else None, error),
        "present": present,
        "total": total,
        "missing": missing,
        "rooms": queries.shared_rooms([line.entry for line in lines if line.entry]),
        "room_names": sorted({line.entry.room_name for line in lines if line.entry} - {""}),
        "can_edit": may_edit_checklist(scope, community),
        "error": None if stale else error,
        "conflict": error if stale else None,
    }


def _grouped(lines, post, error):
    """Lines by kind (rooms, plaques, logo, then the extras), each with what the form
    shows: after a refusal, what was typed (so nothing is lost) and the field at fault.
    Each item also carries what the form sends back: the values it was drawn with and its
    version — after a conflict the stored ones (sent again, the user's changes go on top
    of what is stored now), after any other refusal those of the page they typed on."""
    groups: dict[str, list] = {}
    stale = isinstance(error, StaleEdit)
    posted = _posted_values(post) if post is not None else {}
    versions = _posted_versions(post) if post is not None else {}
    changed = _changed_items(post) if post is not None else set()
    for line in lines:
        code = line.item.code
        stored, stored_version = _stored(line), line.entry.version if line.entry else 0
        shown = posted[code] if post is not None and (not stale or code in changed) else stored
        if post is None or stale:
            was, version = _comparable(stored), stored_version
        else:
            was, version = (
                post.get(f"{code}-was", _comparable(stored)),
                versions.get(code, stored_version),
            )
        prefix = f"{code}-"
        at_fault = error.field or "" if error else ""
        groups.setdefault(line.item.kind, []).append(
            {
                "line": line,
                "shown": shown,
                "was": was,
                "version": version,
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
    # Private, no-store like every answer to a signed-in user (web.security).
    return stored_file(entry.photo, entry.photo_name or "photo", inline=True)
