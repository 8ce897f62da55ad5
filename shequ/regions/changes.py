"""Changes to the region tree, each effective from a period.

Every change closes the region's current version at the effective period and opens a new
one, so the periods before keep the names and parents they had. Merges and splits
deactivate the old units and create new ones, recording who succeeded whom.
"""

from __future__ import annotations

from django.db import transaction

from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.periods import PeriodCode
from shequ.core.text import field_text, text_normal
from shequ.regions.levels import (
    CODE_LENGTHS,
    LEVEL_RANK,
    Level,
    UrbanRural,
    default_class_for_kind,
    kind_from_code,
)
from shequ.regions.models import Region, RegionSuccession, RegionVersion, Succession


class RegionChangeError(DomainError):
    """A change that cannot be made; `field` names the form field at fault."""


def _region_name(name: str, required: str) -> str:
    """A new name under the text policy (core.text)."""
    try:
        return field_text(Region, "name", name, required=required)
    except DomainError as error:
        raise RegionChangeError(error.message, field=error.field) from error


def _current_version(region: Region) -> RegionVersion:
    return region.versions.get(valid_to__isnull=True)


def _check_open_for_change(region: Region, effective: PeriodCode) -> RegionVersion:
    if region.valid_to is not None:
        raise RegionChangeError(f"{region.name}已于{region.end_label}撤销，不能再调整")
    current = _current_version(region)
    if effective.ordinal < current.valid_from:
        raise RegionChangeError(
            f"{region.name}已有自{PeriodCode.from_ordinal(current.valid_from).label}起的调整，"
            f"新的调整不能早于它",
            field="effective",
        )
    return current


def _apply_version(region: Region, effective: PeriodCode, **changes) -> None:
    """Close the current version at `effective` and open one with `changes` from there."""
    current = _check_open_for_change(region, effective)
    if current.valid_from == effective.ordinal:
        for name, value in changes.items():
            setattr(current, name, value)
        current.save()
    else:
        current.valid_to = effective.ordinal
        current.save(update_fields=["valid_to"])
        current.pk = None
        current.valid_from, current.valid_to = effective.ordinal, None
        for name, value in changes.items():
            setattr(current, name, value)
        current.save()
    for name, value in changes.items():
        setattr(region, name, value)
    region.save()


def _audit(actor: Actor, region: Region, action: str, summary: str, changes: dict, reason: str):
    audit_record(
        actor=actor,
        action=f"regions.{action}",
        target_type="region",
        target_id=region.code,
        region_path=region.path,
        summary=summary,
        changes=changes,
        reason=reason,
    )


@transaction.atomic
def region_rename(
    *, actor: Actor, region: Region, name: str, effective: PeriodCode, reason: str = ""
) -> Region:
    name = _region_name(name, "新名称不能为空")
    if name == region.name:
        raise RegionChangeError("新名称与现名称相同", field="name")
    old = region.name
    _apply_version(region, effective, name=name)
    _audit(
        actor,
        region,
        "rename",
        f"{old}更名为{name}，自{effective.label}起",
        {"name": [old, name], "effective": effective.code},
        reason,
    )
    return region


@transaction.atomic
def region_reclassify(
    *,
    actor: Actor,
    region: Region,
    effective: PeriodCode,
    urban_rural_class: str | None = None,
    kind: str | None = None,
    reason: str = "",
) -> Region:
    """Change a community's 城市/农村 class, or its kind (村改居)."""
    if region.level != Level.COMMUNITY:
        raise RegionChangeError("只有社区/村有城乡类别")
    changes = {}
    if urban_rural_class and urban_rural_class != region.urban_rural_class:
        if urban_rural_class not in UrbanRural.values:
            raise RegionChangeError("城乡类别只能是城市社区或农村社区", field="urban_rural_class")
        changes["urban_rural_class"] = urban_rural_class
    if kind and kind != region.kind:
        changes["kind"] = kind
    if not changes:
        raise RegionChangeError("没有需要调整的内容")
    before = {name: getattr(region, name) for name in changes}
    _apply_version(region, effective, **changes)
    _audit(
        actor,
        region,
        "reclassify",
        f"{region.name}调整类别，自{effective.label}起",
        {name: [before[name], value] for name, value in changes.items()},
        reason,
    )
    return region


@transaction.atomic
def region_move(
    *, actor: Actor, region: Region, new_parent: Region, effective: PeriodCode, reason: str = ""
) -> Region:
    """Move a unit (and everything under it) to another parent."""
    _check_parent_fits(region.level, new_parent)
    if new_parent.pk == region.parent_id:
        raise RegionChangeError("新上级与现上级相同", field="new_parent")
    if new_parent.is_within(region):
        raise RegionChangeError("不能移到自己的下级之下", field="new_parent")
    old_parent = region.parent
    old_prefix = region.path
    new_prefix = f"{new_parent.path}{region.code}/"
    _apply_version(region, effective, parent=new_parent, path=new_prefix)
    for descendant in Region.objects.filter(path__startswith=old_prefix).exclude(pk=region.pk):
        moved_path = new_prefix + descendant.path[len(old_prefix) :]
        if descendant.valid_to is None:
            _apply_version(descendant, effective, path=moved_path)
        else:
            # Ended units keep their history in their versions; only the current path moves.
            Region.objects.filter(pk=descendant.pk).update(path=moved_path)
    _audit(
        actor,
        region,
        "move",
        f"{region.name}由{old_parent}调整到{new_parent}，自{effective.label}起",
        {"parent": [old_parent.code if old_parent else None, new_parent.code]},
        reason,
    )
    return region


@transaction.atomic
def region_deactivate(
    *, actor: Actor, region: Region, effective: PeriodCode, reason: str = "", audit: bool = True
) -> Region:
    if region.parent_id is None:
        raise RegionChangeError("根节点不能撤销")
    active_children = region.children.active().exclude(valid_from__gte=effective.ordinal)
    if active_children.exists():
        raise RegionChangeError(f"{region.name}下还有在用的下级区划，请先调整或撤销它们")
    current = _check_open_for_change(region, effective)
    if effective.ordinal <= current.valid_from:
        raise RegionChangeError("撤销期不能早于或等于该区划最近一次调整的生效期", field="effective")
    current.valid_to = effective.ordinal
    current.save(update_fields=["valid_to"])
    region.valid_to = effective.ordinal
    region.save(update_fields=["valid_to"])
    if audit:
        _audit(
            actor,
            region,
            "deactivate",
            f"撤销{region.name}，自{effective.label}起",
            {"valid_to": effective.code},
            reason,
        )
    return region


def _check_parent_fits(level: str, parent: Region) -> None:
    if parent.valid_to is not None:
        raise RegionChangeError(f"上级{parent.name}已撤销", field="parent")
    if level == Level.COMMUNITY and parent.level != Level.STREET:
        raise RegionChangeError("社区/村的上级必须是街镇", field="parent")
    if LEVEL_RANK[parent.level] >= LEVEL_RANK[level]:
        raise RegionChangeError("上级的层级必须高于本级", field="parent")


@transaction.atomic
def region_create(
    *,
    actor: Actor,
    parent: Region,
    code: str,
    name: str,
    level: str = Level.COMMUNITY,
    effective: PeriodCode,
    urban_rural_class: str | None = None,
    urban_rural_code: str = "",
    reason: str = "",
    audit: bool = True,
) -> Region:
    code = text_normal(code, multiline=False)
    if not code.isdigit() or len(code) not in CODE_LENGTHS[level]:
        raise RegionChangeError(f"代码“{code}”不是有效的{Level(level).label}区划代码", "code")
    if Region.objects.filter(code=code).exists():
        raise RegionChangeError(f"代码 {code} 已被使用", field="code")
    name = _region_name(name, "名称不能为空")
    _check_parent_fits(level, parent)
    kind = kind_from_code(code, level)
    region = Region.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=f"{parent.path}{code}/",
        kind=kind,
        urban_rural_class=(urban_rural_class or default_class_for_kind(kind))
        if level == Level.COMMUNITY
        else "",
        urban_rural_code=urban_rural_code,
        valid_from=effective.ordinal,
    )
    RegionVersion.objects.create(
        region=region,
        valid_from=effective.ordinal,
        name=region.name,
        parent=parent,
        path=region.path,
        kind=region.kind,
        urban_rural_class=region.urban_rural_class,
    )
    if audit:
        _audit(actor, region, "create", f"新设{name}，自{effective.label}起", {}, reason)
    return region


def _record_succession(
    predecessors: list[Region], successors: list[Region], effective: PeriodCode, kind: str
) -> None:
    RegionSuccession.objects.bulk_create(
        RegionSuccession(predecessor=old, successor=new, effective=effective.ordinal, kind=kind)
        for old in predecessors
        for new in successors
    )


def _check_sources(sources: list[Region], into: Region | None) -> None:
    if len(sources) + (into is not None) < 2:
        raise RegionChangeError("合并至少需要两个区划", field="sources")
    if len({source.level for source in sources} | ({into.level} if into else set())) != 1:
        raise RegionChangeError("只能合并同一层级的区划", field="sources")
    if into is not None and into.pk in {source.pk for source in sources}:
        raise RegionChangeError(f"{into.name}不能并入自己", field="into")
    if into is not None and into.valid_to is not None:
        raise RegionChangeError(f"{into.name}已于{into.end_label}撤销", field="into")


@transaction.atomic
def region_merge(
    *,
    actor: Actor,
    sources: list[Region],
    effective: PeriodCode,
    code: str = "",
    name: str = "",
    into: Region | None = None,
    parent: Region | None = None,
    reason: str = "",
) -> Region:
    """Several communities become one: a new community (`code`, `name`, under `parent` or
    the first source's street), or `into`, an existing one that goes on. The sources are
    deactivated; each is recorded as succeeded by the merged community."""
    _check_sources(sources, into)
    for source in sources:
        region_deactivate(actor=actor, region=source, effective=effective, audit=False)
    merged = into or region_create(
        actor=actor,
        parent=parent or sources[0].parent,
        code=code,
        name=name,
        level=sources[0].level,
        effective=effective,
        audit=False,
    )
    _record_succession(sources, [merged], effective, Succession.MERGE)
    names = "、".join(s.name for s in sources)
    summary = (
        f"{names}并入{merged.name}，自{effective.label}起"
        if into
        else f"{names}合并为{merged.name}，自{effective.label}起"
    )
    _audit(
        actor,
        merged,
        "merge",
        summary,
        {"predecessors": [s.code for s in sources], "successor": merged.code},
        reason,
    )
    return merged


@transaction.atomic
def region_recode(
    *,
    actor: Actor,
    region: Region,
    code: str,
    effective: PeriodCode,
    name: str = "",
    parent: Region | None = None,
    reason: str = "",
) -> Region:
    """The same community under a new code (and perhaps name and street), as a new
    statistical edition gives it: the old unit ends, the new one succeeds it."""
    if region.level != Level.COMMUNITY:
        raise RegionChangeError("只有社区/村可以改码")
    region_deactivate(actor=actor, region=region, effective=effective, audit=False)
    successor = region_create(
        actor=actor,
        parent=parent or region.parent,
        code=code,
        name=name or region.name,
        effective=effective,
        urban_rural_class=region.urban_rural_class,
        urban_rural_code=region.urban_rural_code,
        audit=False,
    )
    _record_succession([region], [successor], effective, Succession.RENAME)
    _audit(
        actor,
        successor,
        "recode",
        f"{region.name}（{region.code}）改为{successor.name}（{successor.code}），"
        f"自{effective.label}起",
        {"predecessors": [region.code], "successor": successor.code},
        reason,
    )
    return successor


@transaction.atomic
def region_split(
    *,
    actor: Actor,
    source: Region,
    parts: list[tuple[str, str]],
    effective: PeriodCode,
    reason: str = "",
) -> list[Region]:
    """One community becomes several new ones, given as (code, name) pairs."""
    if len(parts) < 2:
        raise RegionChangeError("拆分至少要得到两个区划", field="parts")
    region_deactivate(actor=actor, region=source, effective=effective, audit=False)
    created = [
        region_create(
            actor=actor,
            parent=source.parent,
            code=code,
            name=name,
            level=source.level,
            effective=effective,
            audit=False,
        )
        for code, name in parts
    ]
    _record_succession([source], created, effective, Succession.SPLIT)
    _audit(
        actor,
        source,
        "split",
        f"{source.name}拆分为{'、'.join(p.name for p in created)}，自{effective.label}起",
        {"predecessor": source.code, "successors": [p.code for p in created]},
        reason,
    )
    return created
