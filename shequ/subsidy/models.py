"""The district subsidy (补助资金): a yearly budget and its allocations, in 万元.

Money is Decimal with two places everywhere (万元 to the hundred yuan); nothing is a float.
"""

from django.db import models
from django.db.models import Q

from shequ.core.text import NOTE
from shequ.regions.models import Region

MONEY = {"max_digits": 12, "decimal_places": 2}


class SubsidyBudget(models.Model):
    """The district's subsidy budget for one year (one budget per deployment's root)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    amount = models.DecimalField("预算（万元）", **MONEY)
    notes = models.TextField("说明", max_length=NOTE, blank=True)
    updated_by = models.CharField("设定人", max_length=150, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "补助资金预算"
        verbose_name_plural = "补助资金预算"
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="subsidy_budget_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.year}年补助资金预算 {self.amount} 万元"


class SubsidyAllocation(models.Model):
    """Money of a year's budget set aside for one street: for a plan's measure, or for
    building a 便民服务中心, 养老服务中心 or 村级养老互助点."""

    class Purpose(models.TextChoices):
        MEASURE = "measure", "一社区一方案措施"
        SERVICE_CENTER = "service_center", "便民服务中心建设"
        ELDERLY_CENTER = "elderly_center", "养老服务中心建设"
        MUTUAL_AID = "mutual_aid", "村级养老互助点建设"

    class State(models.TextChoices):
        ALLOCATED = "allocated", "已安排"
        PAID = "paid", "已拨付"

    year = models.PositiveSmallIntegerField("年度", db_index=True)
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="subsidy_allocations", verbose_name="街镇"
    )
    purpose = models.CharField("用途", max_length=16, choices=Purpose.choices)
    # PROTECT: money set aside for a measure must not vanish with it (plans.services refuses).
    measure = models.ForeignKey(
        "plans.Measure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_allocations",
        verbose_name="措施",
    )
    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="社区（村）",
    )
    amount = models.DecimalField("金额（万元）", **MONEY)
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.ALLOCATED, db_index=True
    )
    paid_on = models.DateField("拨付日期", null=True, blank=True)
    notes = models.CharField("说明", max_length=300, blank=True)
    created_by = models.CharField("安排人", max_length=150, blank=True)
    created_at = models.DateTimeField("安排时间", auto_now_add=True)
    # Optimistic locking (core.versions): the version a form or an API client read.
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "补助资金安排"
        verbose_name_plural = "补助资金安排"
        ordering = ["year", "street__code", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="subsidy_amount_positive"),
            # A measure exactly when the purpose is a measure, so nothing is counted twice.
            models.CheckConstraint(
                condition=(Q(purpose="measure") & Q(measure__isnull=False))
                | (~Q(purpose="measure") & Q(measure__isnull=True)),
                name="subsidy_measure_iff_purpose",
            ),
            models.CheckConstraint(
                condition=(Q(state="paid") & Q(paid_on__isnull=False))
                | (~Q(state="paid") & Q(paid_on__isnull=True)),
                name="subsidy_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.street.name} {self.get_purpose_display()} {self.amount} 万元"

    @property
    def is_paid(self) -> bool:
        return self.state == self.State.PAID
