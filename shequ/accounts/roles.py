"""Which role may be held where, and what each role may do there (product brief table).

| role     | above street (区/市…)    | street (街镇)             | community (社区/村)   |
|----------|-------------------------|--------------------------|----------------------|
| viewer   | sees everything below   | sees its communities     | sees itself          |
| editor   | —                       | edits its communities    | edits its own row    |
| approver | approves / returns       | submits upward           | —                    |
| admin    | regions, users, periods | —                        | —                    |
"""

from enum import Enum

from shequ.accounts.models import Role
from shequ.regions.levels import Level, is_above_street


class Permission(Enum):
    VIEW = "view"
    EDIT = "edit"  # ledger rows, plans, service-centre profiles
    SUBMIT = "submit"  # a street's ledger upward
    APPROVE = "approve"  # approve / return street submissions, verify 销号, evaluations
    MANAGE = "manage"  # regions, users, periods, targets, settings


def _tier(level: str) -> str:
    """Roles are defined for three tiers; every level above the street acts as a district."""
    if level == Level.COMMUNITY:
        return "community"
    return "district" if is_above_street(level) else "street"


_GRANTS: dict[tuple[str, str], frozenset[Permission]] = {
    (Role.VIEWER, "district"): frozenset({Permission.VIEW}),
    (Role.VIEWER, "street"): frozenset({Permission.VIEW}),
    (Role.VIEWER, "community"): frozenset({Permission.VIEW}),
    (Role.EDITOR, "street"): frozenset({Permission.VIEW, Permission.EDIT}),
    (Role.EDITOR, "community"): frozenset({Permission.VIEW, Permission.EDIT}),
    (Role.APPROVER, "district"): frozenset({Permission.VIEW, Permission.APPROVE}),
    (Role.APPROVER, "street"): frozenset({Permission.VIEW, Permission.SUBMIT}),
    (Role.ADMIN, "district"): frozenset({Permission.VIEW, Permission.MANAGE}),
}

ALL_PERMISSIONS = frozenset(Permission)


def role_allowed_at(role: str, level: str) -> bool:
    return (role, _tier(level)) in _GRANTS


def permissions_for(role: str, level: str) -> frozenset[Permission]:
    return _GRANTS.get((role, _tier(level)), frozenset())


def role_label_at(role: str, level: str) -> str:
    """How the role reads at its node, e.g. 街镇填报员, 区级审核员."""
    where = {"district": "区级", "street": "街镇", "community": "社区"}[_tier(level)]
    who = {
        Role.VIEWER: "查看员",
        Role.EDITOR: "填报员",
        Role.APPROVER: "审核员",
        Role.ADMIN: "管理员",
    }[role]
    return where + who
