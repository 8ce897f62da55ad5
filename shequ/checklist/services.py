"""Changing a community's checklist: the items (all at once, all or nothing) and their
photos. Each change is one transaction with its audit row; who may act follows the plans:
the street's editors and approvers, and the community's own editor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from shequ.accounts.roles import Permission
from shequ.accounts.scope import Scope
from shequ.checklist.items import BY_CODE, Item
from shequ.checklist.models import ChecklistEntry
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError, NotAllowed, OutOfScope
from shequ.core.files import delete_after_commit, replace_file
from shequ.core.numbers import decimal_field_max
from shequ.core.text import field_text
from shequ.core.versions import Conflict, StaleEdit, conflicts_with, is_stale, next_version
from shequ.plans.evidence import Evidence
from shequ.regions.models import Region

MAX_AREA = decimal_field_max(ChecklistEntry, "area")  # 999999.9
ITEM_FIELDS = {"present": "已设置", "area": "面积", "room_name": "所在房间"}


@dataclass(frozen=True)
class ItemValues:
    present: bool
    area: Decimal | None = None
    room_name: str = ""


def may_edit_checklist(scope: Scope, community: Region) -> bool:
    """Street editors and approvers (and the community's own editor), as for plans: the
    one answer, which `require_checklist_editor` refuses by and the page draws with."""
    street = community.parent
    return scope.contains(community) and (
        scope.can(Permission.EDIT, community)
        or (street is not None and scope.can(Permission.SUBMIT, street))
    )


def require_checklist_editor(scope: Scope, community: Region) -> None:
    if may_edit_checklist(scope, community):
        return
    if not scope.contains(community):
        raise OutOfScope(f"{community.name}不在您的管辖范围内")
    raise NotAllowed("您没有填写便民服务中心功能设置的权限")


def _item(code: str) -> Item:
    item = BY_CODE.get(code)
    if item is None:
        raise DomainError(f"未知的功能设置项“{code}”", field=code)
    return item


# ---------------------------------------------------------------- values


def _area(item: Item, value: Any) -> Decimal | None:
    """A room's area as typed; the message names the item and the field (面积)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    field = f"{item.code}-area"
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(f"{item.label}：面积应为数字（㎡），不能是“{value}”", field) from None
    if not number.is_finite():
        raise DomainError(f"{item.label}：面积应为数字（㎡）", field)
    if number < 0:
        raise DomainError(f"{item.label}：面积不能为负数（{value}）", field)
    if number != number.quantize(Decimal("0.1")):
        raise DomainError(f"{item.label}：面积最多保留一位小数（{value}）", field)
    if number > MAX_AREA:
        raise DomainError(f"{item.label}：面积数值过大（{value}）", field)
    return number.quantize(Decimal("0.1"))


def _cleaned(item: Item, raw: ItemValues | Mapping[str, Any]) -> ItemValues:
    if isinstance(raw, ItemValues):
        raw = {"present": raw.present, "area": raw.area, "room_name": raw.room_name}
    present = bool(raw.get("present"))
    area = _area(item, raw.get("area"))
    try:
        room_name = field_text(
            ChecklistEntry, "room_name", raw.get("room_name"), field=f"{item.code}-room_name"
        )
    except DomainError as error:  # the same field on every item: say which
        raise DomainError(f"{item.label}：{error.message}", error.field) from error
    if not item.is_room and (area is not None or room_name):
        raise DomainError(f"{item.label}不是功能用房，不填面积和所在房间", f"{item.code}-area")
    if not present and (area is not None or room_name):
        # An absent room with a size would be counted by anyone summing areas.
        raise DomainError(f"{item.label}：未设置时不填面积和所在房间", f"{item.code}-present")
    return ItemValues(present, area, room_name)


def _check_shared_rooms(state: dict[str, ItemValues]) -> None:
    """一室多用: items naming the same room are one room, so their areas (where given)
    must agree — otherwise the room would have two sizes."""
    areas: dict[str, tuple[Item, Decimal]] = {}
    for code, values in state.items():
        if not values.room_name or values.area is None:
            continue
        item = BY_CODE[code]
        first = areas.setdefault(values.room_name, (item, values.area))
        if first[1] != values.area:
            raise DomainError(
                f"{item.label}与{first[0].label}同在“{values.room_name}”（一室多用），"
                f"面积应一致（{first[1]}㎡ / {values.area}㎡）",
                f"{code}-area",
            )


# ---------------------------------------------------------------- saving


def _locked_entries(community: Region) -> dict[str, ChecklistEntry]:
    # Locking the community serialises saves, also the first one that creates the rows.
    Region.objects.select_for_update().filter(pk=community.pk).first()
    return {e.item: e for e in ChecklistEntry.objects.filter(community=community)}


def _as_values(entry: ChecklistEntry) -> ItemValues:
    return ItemValues(entry.present, entry.area, entry.room_name)


def _text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _differences(item: Item, before: ItemValues, after: ItemValues) -> dict[str, list]:
    return {
        f"{item.label}·{label}": [_text(getattr(before, name)), _text(getattr(after, name))]
        for name, label in ITEM_FIELDS.items()
        if getattr(before, name) != getattr(after, name)
    }


def _audit(scope: Scope, community: Region, action: str, summary: str, changes: dict) -> None:
    audit_record(
        actor=scope.actor,
        action=f"checklist.{action}",
        target_type="checklist",
        target_id=community.code,
        region_path=community.path,
        summary=f"{community.name}便民服务中心功能设置：{summary}",
        changes=changes,
    )


def _stale_items(
    existing: dict[str, ChecklistEntry],
    cleaned: dict[str, ItemValues],
    expected_versions: Mapping[str, int],
) -> list[Conflict]:
    """The values sent for items someone else saved since the versions read (0: an item
    never saved), where they differ from the stored ones (`core.versions`)."""
    found: list[Conflict] = []
    for code, after in cleaned.items():
        stored = existing.get(code) or ChecklistEntry(item=code, version=0)
        if not is_stale(stored, expected_versions.get(code)):
            continue
        label = BY_CODE[code].label
        found += conflicts_with(
            stored,
            {name: getattr(after, name) for name in ITEM_FIELDS},
            labels={name: f"{label}·{text}" for name, text in ITEM_FIELDS.items()},
            prefix=f"{code}-",
        )
    return found


@transaction.atomic
def checklist_save(
    *,
    scope: Scope,
    community: Region,
    values: Mapping[str, ItemValues | Mapping[str, Any]],
    expected_versions: Mapping[str, int] | None = None,
) -> list[str]:
    """Save the given items of a community (codes → present, area, room name) at once:
    one bad value refuses them all. Returns the codes that changed. `expected_versions`
    (item code → the version read, 0 for an item never saved) refuse, all of them, values
    of items someone else saved since (`core.versions.StaleEdit`)."""
    if not community.is_community:
        raise DomainError(f"{community.name}不是社区（村），没有功能设置")
    require_checklist_editor(scope, community)
    cleaned = {code: _cleaned(_item(code), raw) for code, raw in values.items()}
    existing = _locked_entries(community)
    stale = _stale_items(existing, cleaned, expected_versions or {})
    if stale:
        raise StaleEdit(f"{community.name}便民服务中心功能设置", stale)
    state = {code: _as_values(entry) for code, entry in existing.items()} | cleaned
    _check_shared_rooms(state)
    now, who = timezone.now(), scope.actor.label
    changes: dict[str, list] = {}
    created, updated = [], []
    for code, after in cleaned.items():
        entry = existing.get(code)
        before = _as_values(entry) if entry else ItemValues(False)
        if before == after:
            continue
        changes |= _differences(BY_CODE[code], before, after)
        if entry is None:
            entry = ChecklistEntry(community=community, item=code)
            created.append(entry)
        else:
            next_version(entry)
            updated.append(entry)
        entry.present, entry.area, entry.room_name = after.present, after.area, after.room_name
        entry.updated_at, entry.updated_by = now, who
    ChecklistEntry.objects.bulk_create(created)
    ChecklistEntry.objects.bulk_update(
        updated, ["present", "area", "room_name", "version", "updated_at", "updated_by"]
    )
    changed = [e.item for e in created + updated]
    if changed:
        _audit(scope, community, "save", f"修改 {len(changed)} 项", changes)
    return changed


def _entry_for_photo(scope: Scope, community: Region, code: str) -> ChecklistEntry:
    require_checklist_editor(scope, community)
    item = _item(code)
    _locked_entries(community)
    entry, _ = ChecklistEntry.objects.get_or_create(community=community, item=item.code)
    return entry


@transaction.atomic
def photo_save(
    *, scope: Scope, community: Region, item_code: str, photo: Evidence
) -> ChecklistEntry:
    """Attach a checked photo (`photos.photo_from_upload`) to an item, replacing any."""
    entry = _entry_for_photo(scope, community, item_code)
    old_name = entry.photo_name
    replace_file(entry.photo, photo.stored_name, photo.content)  # the old one after commit
    entry.photo_name = photo.original_name
    entry.updated_by = scope.actor.label
    entry.save()
    label = BY_CODE[item_code].label
    changes = {f"{label}·照片": [old_name or None, photo.original_name]}
    _audit(scope, community, "photo", f"{label}上传照片“{photo.original_name}”", changes)
    return entry


@transaction.atomic
def photo_remove(*, scope: Scope, community: Region, item_code: str) -> ChecklistEntry:
    entry = _entry_for_photo(scope, community, item_code)
    if not entry.photo:
        return entry
    old, old_name = entry.photo.name, entry.photo_name
    entry.photo, entry.photo_name = "", ""
    entry.updated_by = scope.actor.label
    entry.save()
    delete_after_commit(entry.photo, old)
    label = BY_CODE[item_code].label
    _audit(scope, community, "photo", f"{label}删除照片", {f"{label}·照片": [old_name, None]})
    return entry


@transaction.atomic
def checklist_update(
    *,
    scope: Scope,
    community: Region,
    values: Mapping[str, ItemValues | Mapping[str, Any]],
    photos: Mapping[str, Evidence] | None = None,
    removed: Iterable[str] = (),
    expected_versions: Mapping[str, int] | None = None,
) -> list[str]:
    """The form's one submission: items, new photos and removed photos, all or nothing."""
    changed = checklist_save(
        scope=scope, community=community, values=values, expected_versions=expected_versions
    )
    for code in removed:
        photo_remove(scope=scope, community=community, item_code=code)
        changed.append(code)
    for code, photo in (photos or {}).items():
        photo_save(scope=scope, community=community, item_code=code, photo=photo)
        changed.append(code)
    return list(dict.fromkeys(changed))
