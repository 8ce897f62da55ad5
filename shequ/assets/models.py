"""Idle public property (闲置资产) that a plan may use to close a community's gap."""

from django.db import models
from django.db.models import Q

from shequ.core.text import NOTE
from shequ.regions.models import Region


class IdleAsset(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", "学校用房"
        FACTORY = "factory", "企业厂房"
        OFFICE = "office", "办公用房"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        AVAILABLE = "available", "可用"
        ALLOCATED = "allocated", "已分配"
        USED = "used", "已使用"

    # A register number the bureau can quote (given by the street, or generated).
    code = models.CharField("资产编号", max_length=30, unique=True)
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=100)
    description = models.TextField("情况说明", max_length=NOTE, blank=True)
    owner = models.CharField("产权（管理）单位", max_length=100)
    address = models.CharField("地址", max_length=200)
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="idle_assets", verbose_name="所在街镇"
    )
    area = models.DecimalField("建筑面积（㎡）", max_digits=9, decimal_places=1)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.AVAILABLE, db_index=True
    )
    notes = models.TextField("备注", max_length=NOTE, blank=True)
    # Optimistic locking (core.versions): the version a form or an API client read.
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "闲置资产"
        verbose_name_plural = "闲置资产"
        ordering = ["street__code", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(area__gt=0), name="idle_asset_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.area}㎡）"
