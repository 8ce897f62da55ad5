"""The region tree: 全国/省/市 → 区县 → 街镇 → 社区/村, with its history.

`Region` holds each unit's latest state, for the common case of "the tree as it is now".
`RegionVersion` holds every state it has had, each valid over a range of periods
(ordinals of `shequ.core.periods.PeriodCode`, `valid_to` exclusive); past periods are read
from the versions, so a rename or a move never rewrites history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from shequ.core.periods import PeriodCode, period_label
from shequ.regions.levels import Kind, Level, UrbanRural


class RegionQuerySet(models.QuerySet):
    """The filters every app writes of the tree, written once."""

    def active(self) -> RegionQuerySet:
        """Regions that exist now (not ended by a merge or a split)."""
        return self.filter(valid_to__isnull=True)

    def streets(self) -> RegionQuerySet:
        return self.filter(level=Level.STREET)

    def communities(self) -> RegionQuerySet:
        return self.filter(level=Level.COMMUNITY)

    def within(self, region: Region) -> RegionQuerySet:
        """`region` and everything below it, as the tree stands now."""
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/50/500109/500109001/": the codes from the root down to this unit. A subtree is a
    # prefix query, which scoping and aggregates rely on at national scale.
    path = models.CharField("路径", max_length=255, unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, blank=True)
    urban_rural_class = models.CharField(
        "城乡类别", max_length=8, choices=UrbanRural.choices, blank=True
    )
    urban_rural_code = models.CharField(
        "城乡分类代码",
        max_length=3,
        blank=True,
        help_text="国家统计局城乡分类代码，仅供参考，不决定城市社区/农村社区",
    )
    source_year = models.PositiveSmallIntegerField("数据年份", null=True, blank=True)
    valid_from = models.PositiveIntegerField("起始期序", default=0)
    valid_to = models.PositiveIntegerField("终止期序", null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "区划"
        verbose_name_plural = "区划"
        ordering = ["path"]
        indexes = [
            models.Index(fields=["level", "path"], name="region_level_path"),
            models.Index(fields=["parent", "name"], name="region_parent_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="region_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.COMMUNITY) | Q(urban_rural_class=""),
                name="region_class_only_on_communities",
            ),
            models.CheckConstraint(
                condition=~Q(level=Level.COMMUNITY) | ~Q(urban_rural_class=""),
                name="region_community_has_class",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_community(self) -> bool:
        return self.level == Level.COMMUNITY

    @property
    def is_street(self) -> bool:
        return self.level == Level.STREET

    @property
    def is_active(self) -> bool:
        """Still in existence for the periods to come (not deactivated, merged or split)."""
        return self.valid_to is None

    @property
    def ancestor_codes(self) -> list[str]:
        return [code for code in self.path.strip("/").split("/")[:-1] if code]

    @property
    def end_label(self) -> str:
        return period_label(self.valid_to) if self.valid_to else ""

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)


class RegionVersion(models.Model):
    """One state of a region, valid for the periods `valid_from` ≤ p < `valid_to`."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.PositiveIntegerField("起始期序", default=0)
    valid_to = models.PositiveIntegerField("终止期序", null=True, blank=True)
    name = models.CharField("名称", max_length=100)
    parent = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField("路径", max_length=255, db_index=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, blank=True)
    urban_rural_class = models.CharField(
        "城乡类别", max_length=8, choices=UrbanRural.choices, blank=True
    )

    class Meta:
        verbose_name = "区划版本"
        verbose_name_plural = "区划版本"
        ordering = ["region", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "valid_from"], name="version_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="version_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.range_label}）"

    @property
    def range_label(self) -> str:
        """The periods this state applies to, e.g. 初始至2024年下半年, 2025年上半年起."""
        start = period_label(self.valid_from)
        if self.valid_to is None:
            return f"{start}起" if self.valid_from else "初始起"
        last = PeriodCode.from_ordinal(self.valid_to - 1).label
        return f"{start}至{last}"


class Succession(models.TextChoices):
    MERGE = "merge", "合并"
    SPLIT = "split", "拆分"
    # A new code for the same community (a statistical edition recoded it): its ledger,
    # plans and history go on under the new code.
    RENAME = "rename", "改码"


class RegionSuccession(models.Model):
    """A successor took over (part of) a predecessor from a period: merges (into a new
    community or into one that goes on), splits and code changes."""

    predecessor = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="successions")
    successor = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="predecessions")
    effective = models.PositiveIntegerField("生效期序")
    kind = models.CharField("方式", max_length=8, choices=Succession.choices)

    class Meta:
        verbose_name = "区划承继"
        verbose_name_plural = "区划承继"
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="succession_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}（{self.get_kind_display()}）"
