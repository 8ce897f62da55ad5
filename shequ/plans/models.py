"""One plan per non-compliant community (一社区一方案): its measures and consultations."""

from django.db import models
from django.db.models import Q

from shequ.core.text import NOTE
from shequ.regions.models import Region


class Plan(models.Model):
    class State(models.TextChoices):
        DRAFTING = "drafting", "编制中"
        IMPLEMENTING = "implementing", "实施中"
        PENDING = "pending", "待销号"
        CLOSED = "closed", "已销号"
        # The community ceased in a region change (合并、拆分、撤销) and the district did
        # not hand the plan on: ended without 销号, with the reason in `closed_note`.
        WITHDRAWN = "withdrawn", "因区划调整撤销"

    class Outcome(models.TextChoices):
        NONE = "", "尚未对照"
        MET = "met", "已达标"
        ON_TRACK = "on_track", "仍未达标（未到目标年度）"
        SLIPPED = "slipped", "逾期未达标"
        CHANGED = "changed", "面积有变化但无已完成措施"

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="plans")
    # The street responsible for the plan (the community's street when it was drafted).
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        "状态", max_length=12, choices=State.choices, default=State.DRAFTING, db_index=True
    )
    target_year = models.PositiveSmallIntegerField("目标年度")
    # m² still needed, from the latest approved ledger (`gap_period`), kept up to date.
    gap_m2 = models.DecimalField("缺口面积（㎡）", max_digits=10, decimal_places=1)
    gap_period = models.ForeignKey(
        "ledger.Period", on_delete=models.PROTECT, related_name="+", verbose_name="缺口依据"
    )
    # The approved period that showed the community short and drafted the plan.
    drafted_period = models.ForeignKey(
        "ledger.Period",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="建立依据",
    )
    outcome = models.CharField(
        "对照结果", max_length=10, choices=Outcome.choices, default="", blank=True
    )
    outcome_period = models.ForeignKey(
        "ledger.Period", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_note = models.CharField("对照说明", max_length=300, blank=True)
    created_at = models.DateTimeField("建立时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    closed_note = models.TextField("销号说明", max_length=NOTE, blank=True)
    closed_by = models.CharField("销号人", max_length=150, blank=True)
    closed_period = models.ForeignKey(
        "ledger.Period", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.FileField("销号佐证", upload_to="plans/evidence/", blank=True)
    evidence_name = models.CharField("佐证文件名", max_length=200, blank=True)

    class Meta:
        verbose_name = "一社区一方案"
        verbose_name_plural = "一社区一方案"
        ordering = ["street__code", "community__code", "-created_at"]
        constraints = [
            # At most one open plan per community; ended plans stay as history.
            models.UniqueConstraint(
                fields=["community"],
                condition=~Q(state__in=["closed", "withdrawn"]),
                name="plan_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.community.name}（{self.get_state_display()}）"

    @property
    def is_open(self) -> bool:
        return self.state not in (self.State.CLOSED, self.State.WITHDRAWN)


class Measure(models.Model):
    class Method(models.TextChoices):
        NEW = "new", "新建"
        RENOVATE = "renovate", "改造"
        PURCHASE = "purchase", "购买"
        PROJECT = "project", "项目配套"
        SHARE = "share", "整合共享"

    class Funding(models.TextChoices):
        DISTRICT = "district", "区级补助"
        STREET = "street", "街镇自筹"
        HIGHER = "higher", "上级项目资金"
        SOCIAL = "social", "社会资金"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "未开始"
        IN_PROGRESS = "in_progress", "进行中"
        DONE = "done", "已完成"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measures")
    method = models.CharField("方式", max_length=10, choices=Method.choices)
    description = models.CharField("内容", max_length=500)
    planned_area = models.DecimalField("计划面积（㎡）", max_digits=9, decimal_places=1)
    budget = models.DecimalField(
        "预算（万元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    funding = models.CharField("资金来源", max_length=10, choices=Funding.choices, blank=True)
    programme = models.CharField("关联项目", max_length=100, blank=True)
    responsible = models.CharField("责任单位", max_length=100, blank=True)
    planned_date = models.DateField("计划完成日期")
    status = models.CharField(
        "进度", max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    actual_area = models.DecimalField(
        "实际面积（㎡）", max_digits=9, decimal_places=1, null=True, blank=True
    )
    actual_date = models.DateField("实际完成日期", null=True, blank=True)
    # The idle asset the measure uses; its status follows the measure (assets.services).
    asset = models.ForeignKey(
        "assets.IdleAsset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
        verbose_name="闲置资产",
    )
    # Optimistic locking (core.versions): the version a form or an API client read.
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "措施"
        verbose_name_plural = "措施"
        ordering = ["plan", "planned_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_area__gte=0), name="measure_area_positive"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(actual_date__isnull=False),
                name="measure_done_has_date",
            ),
            # An asset is allocated whole, to one measure at a time.
            models.UniqueConstraint(
                fields=["asset"], condition=Q(asset__isnull=False), name="measure_one_per_asset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.description}"


class Consultation(models.Model):
    """征求意见: the notice asks that each design hear professionals, staff and residents."""

    class Who(models.TextChoices):
        PROFESSIONALS = "professionals", "专业人士"
        STAFF = "staff", "村（社区）工作人员"
        RESIDENTS = "residents", "村（居）民"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="consultations")
    held_on = models.DateField("日期")
    who = models.CharField("对象", max_length=14, choices=Who.choices)
    said = models.TextField("主要意见", max_length=NOTE)
    changed = models.TextField("据此作出的修改", max_length=NOTE, blank=True)
    recorded_by = models.CharField("记录人", max_length=150)

    class Meta:
        verbose_name = "征求意见"
        verbose_name_plural = "征求意见"
        ordering = ["plan", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.get_who_display()}"


class StreetPlan(models.Model):
    """A street's yearly implementation plan (实施方案 / 年度建设计划): the document itself;
    the communities it covers and its figures come from the plans' target years."""

    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="street_plans")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("文件名称", max_length=200)
    document = models.FileField("文件", upload_to="plans/street/", blank=True)
    document_name = models.CharField("原文件名", max_length=200, blank=True)
    notes = models.TextField("说明", max_length=NOTE, blank=True)
    uploaded_by = models.CharField("上传人", max_length=150, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "街镇实施方案"
        verbose_name_plural = "街镇实施方案"
        ordering = ["year", "street__code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="street_plan_unique_year")
        ]

    def __str__(self) -> str:
        return f"{self.street.name}{self.year}年实施方案"
