"""The 城乡分类代码 a division file gives a community: kept for reference only (it does not
decide 城市社区/农村社区, see `levels`), so it is not versioned; a new edition's value
replaces it, audited."""

from __future__ import annotations

from django.db import transaction

from shequ.core.actors import Actor
from shequ.core.audit import audit_record
from shequ.regions.changes import RegionChangeError
from shequ.regions.models import Region


@transaction.atomic
def region_set_urban_rural_code(
    *, actor: Actor, region: Region, code: str, reason: str = ""
) -> Region:
    code = (code or "").strip()
    if code and not (code.isdigit() and len(code) == 3):
        raise RegionChangeError(f"城乡分类代码“{code}”应为三位数字", field="urban_rural_code")
    old = region.urban_rural_code
    if old == code:
        return region
    region.urban_rural_code = code
    region.save(update_fields=["urban_rural_code"])
    audit_record(
        actor=actor,
        action="regions.urban_rural_code",
        target_type="region",
        target_id=region.code,
        region_path=region.path,
        summary=f"{region.name}的城乡分类代码由{old or '无'}改为{code or '无'}",
        changes={"urban_rural_code": [old, code]},
        reason=reason,
    )
    return region
