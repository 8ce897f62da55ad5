"""Targets, the per-period figures of every region (kept in step with approvals), reminders."""

from django.db import models
from django.db.models import Q

from shequ.regions.models import Region


class Target(models.Model):
    """A year's target: the share of communities that must reach the standard.

    Set for the district (the root) and optionally per street; the root's target also
    carries the year's standard (m² per 100 households). A year without a target of its
    own takes the latest earlier one (the notice's 80 % goes on after 2022).
    """

    year = models.PositiveSmallIntegerField("年度")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="targets")
    share = models.DecimalField("达标比例", max_digits=4, decimal_places=3)
    standard = models.DecimalField(
        "每百户面积标准（㎡）", max_digits=5, decimal_places=1, null=True, blank=True
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "达标目标"
        verbose_name_plural = "达标目标"
        ordering = ["year", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="target_unique_year_region"),
            models.CheckConstraint(
                condition=Q(share__gte=0) & Q(share__lte=1), name="target_share_fraction"
            ),
            models.CheckConstraint(
                condition=Q(standard__isnull=True) | Q(standard__gt=0),
                name="target_standard_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.region.name} {self.share:.0%}"


class Tally(models.Model):
    """One region's compliance figures in one period, on approved ledgers only.

    Written in the same transaction as every submission transition and rebuilt by
    `shequ rebuild-tallies`; dashboards read these rows instead of the ledger so that
    their cost does not grow with the number of communities. Streets are computed from
    their rows; every region above from its children's tallies.
    """

    period = models.ForeignKey("ledger.Period", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    # The tree as it stood in the period: the parent then, and the name then.
    parent = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10)
    standard = models.DecimalField("标准", max_digits=5, decimal_places=1)
    communities = models.PositiveIntegerField("社区数", default=0)
    reported = models.PositiveIntegerField("已审核社区数", default=0)
    compliant = models.PositiveIntegerField("达标社区数", default=0)
    urban_communities = models.PositiveIntegerField(default=0)
    urban_reported = models.PositiveIntegerField(default=0)
    urban_compliant = models.PositiveIntegerField(default=0)
    rural_communities = models.PositiveIntegerField(default=0)
    rural_reported = models.PositiveIntegerField(default=0)
    rural_compliant = models.PositiveIntegerField(default=0)
    shortfall_m2 = models.DecimalField("尚缺面积", max_digits=14, decimal_places=1, default=0)
    # Communities by m² per 100 households, in the buckets of `tallies.RATIO_BUCKETS`.
    ratio_buckets = models.JSONField(default=list)
    streets = models.PositiveIntegerField(default=0)
    streets_submitted = models.PositiveIntegerField("已上报街镇数", default=0)
    streets_approved = models.PositiveIntegerField("已审核街镇数", default=0)
    streets_late = models.PositiveIntegerField("逾期上报街镇数", default=0)
    status = models.CharField("上报状态", max_length=10, blank=True)
    submitted_at = models.DateTimeField("上报时间", null=True, blank=True)

    class Meta:
        verbose_name = "达标统计"
        verbose_name_plural = "达标统计"
        constraints = [
            models.UniqueConstraint(fields=["period", "region"], name="tally_unique_region")
        ]
        indexes = [
            models.Index(fields=["period", "parent"], name="tally_period_parent"),
            models.Index(fields=["region", "period"], name="tally_region_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.name} {self.compliant}/{self.communities}"


class ReminderSent(models.Model):
    """A 催报 reminder sent to a street, so that none is sent twice for the same day."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "定时提醒"
        MANUAL = "manual", "手动催报"

    period = models.ForeignKey("ledger.Period", on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    day = models.DateField("提醒日期")
    kind = models.CharField("方式", max_length=10, choices=Kind.choices)
    days_left = models.IntegerField("距截止天数")
    recipients = models.PositiveIntegerField("收件人数", default=0)
    sent_by = models.CharField("发送人", max_length=150)
    sent_at = models.DateTimeField("发送时间", auto_now_add=True)

    class Meta:
        verbose_name = "催报记录"
        verbose_name_plural = "催报记录"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "street", "day", "kind"], name="reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.street.name} {self.get_kind_display()}"
