"""The notice's targets (北碚民发〔2020〕77号): 60 % of communities in 2020, 70 % in 2021,
80 % in 2022 (carried on for later years), at 30 m² per 100 households. Set by
`shequ first-run` on a new deployment and by the demo, both through `target_set`."""

from decimal import Decimal

from shequ.accounts.scope import operator_scope
from shequ.compliance.models import Target
from shequ.compliance.target_changes import target_set
from shequ.regions.models import Region

NOTICE_TARGETS = {2020: Decimal("0.60"), 2021: Decimal("0.70"), 2022: Decimal("0.80")}
NOTICE_STANDARD = Decimal("30")


def notice_targets_create(root: Region) -> int:
    """Set the notice's targets on the root unless targets exist already; returns how many
    years were set (0: targets were there, nothing changed)."""
    if Target.objects.exists():
        return 0
    scope = operator_scope()
    for year, share in NOTICE_TARGETS.items():
        standard = NOTICE_STANDARD if year == min(NOTICE_TARGETS) else None
        target_set(scope=scope, year=year, region=root, share=share, standard=standard)
    return len(NOTICE_TARGETS)
