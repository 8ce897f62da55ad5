"""The demo accounts of the 北碚区 demo (issue contract: names are fixed)."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from shequ.accounts.models import Role, User
from shequ.accounts.roles import role_label_at
from shequ.regions.models import Region

DEMO_PASSWORD = "demo1234"


@dataclass
class DemoAccount:
    username: str
    node: Region
    role: str

    @property
    def description(self) -> str:
        return f"{self.node.name} {role_label_at(self.role, self.node.level)}"


def demo_accounts(root: Region) -> list[DemoAccount]:
    """admin, viewer and approver at the root; an editor and an approver per street; an
    editor per community."""
    accounts = [
        DemoAccount("admin", root, Role.ADMIN),
        DemoAccount("viewer", root, Role.VIEWER),
        # Not in the original list of demo accounts, but someone at the district must be
        # able to approve and return the streets' ledgers in the demo.
        DemoAccount("approver", root, Role.APPROVER),
    ]
    streets = Region.objects.active().streets().within(root).order_by("code")
    communities = Region.objects.active().communities().within(root).order_by("code")
    by_street: dict[int, list[Region]] = {}
    for community in communities:
        by_street.setdefault(community.parent_id, []).append(community)
    for street in streets:
        accounts.append(DemoAccount(f"{street.code}-editor", street, Role.EDITOR))
        accounts.append(DemoAccount(f"{street.code}-approver", street, Role.APPROVER))
        accounts += [
            DemoAccount(f"{c.code}-editor", c, Role.EDITOR) for c in by_street.get(street.pk, [])
        ]
    return accounts


@transaction.atomic
def demo_accounts_create(root: Region) -> tuple[list[DemoAccount], int]:
    """Create the missing demo accounts; existing ones are left as they are."""
    accounts = demo_accounts(root)
    existing = set(
        User.objects.filter(username__in=[a.username for a in accounts]).values_list(
            "username", flat=True
        )
    )
    # One hash for all: hashing 200-odd passwords one by one takes over a minute.
    hashed = make_password(DEMO_PASSWORD)
    missing = [
        User(
            username=a.username,
            password=hashed,
            node=a.node,
            role=a.role,
        )
        for a in accounts
        if a.username not in existing
    ]
    User.objects.bulk_create(missing)
    return accounts, len(missing)
