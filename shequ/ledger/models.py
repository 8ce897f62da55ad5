"""Periods, ledger rows, street submissions and their sealed (approved) versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from shequ.core.periods import PeriodCode
from shequ.core.text import NOTE, REASON
from shequ.ledger.fields import GROCERY_HELP, LABELS
from shequ.regions.models import Region

if TYPE_CHECKING:
    from decimal import Decimal

    from django.db.models.expressions import Combinable

    from shequ.ledger.lineage import Origin


class Period(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "填报中"
        CLOSED = "closed", "已关闭"

    code = models.CharField("报告期", max_length=6, unique=True)
    ordinal = models.PositiveIntegerField("期序", unique=True)
    deadline = models.DateField("截止日期")
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField("开启时间", auto_now_add=True)

    class Meta:
        verbose_name = "报告期"
        verbose_name_plural = "报告期"
        ordering = ["-ordinal"]

    def __str__(self) -> str:
        return self.label

    @property
    def period_code(self) -> PeriodCode:
        return PeriodCode.from_ordinal(self.ordinal)

    @property
    def label(self) -> str:
        return self.period_code.label

    @property
    def year(self) -> int:
        return self.period_code.year

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class StreetExtension(models.Model):
    """A later deadline for one street in one period, with the reason it was granted."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="extensions")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField("延期至")
    reason = models.CharField("延期原因", max_length=REASON)

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = "延期"
        constraints = [
            models.UniqueConstraint(fields=["period", "street"], name="extension_unique_street")
        ]

    def __str__(self) -> str:
        return f"{self.street} {self.period} 延期至 {self.deadline}"


# Typed (what may be set, what is read) so that a LedgerRow is a rules.RowInputs to mypy.
def _area(
    field: str, **kwargs: Any
) -> models.DecimalField[Decimal | float | str | Combinable | None, Decimal | None]:
    return models.DecimalField(
        LABELS[field], max_digits=9, decimal_places=1, null=True, blank=True, **kwargs
    )


def _flag(field: str) -> models.BooleanField[bool | Combinable, bool]:
    return models.BooleanField(LABELS[field], default=False)


class LedgerRowQuerySet(models.QuerySet):
    def approved(self) -> LedgerRowQuerySet:
        """Rows whose street's ledger for their period is approved."""
        approved = Submission.objects.approved().filter(
            period=models.OuterRef("period"), street=models.OuterRef("street")
        )
        return self.filter(models.Exists(approved))


class LedgerRow(models.Model):
    """One community in one period. Written only through `shequ.ledger.rows`."""

    # Set on an unsaved row that stands for a successor's predecessors' figures
    # (`ledger.rows.approved_rows_before`, `ledger.lineage.Origin`); never stored.
    origin: Origin | None = None

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="rows")
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="ledger_rows")
    # The street the community belonged to in this period (it may move later).
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    households = models.IntegerField(LABELS["households"], null=True, blank=True)
    resident_households = models.IntegerField(LABELS["resident_households"], null=True, blank=True)
    households_counted_on = models.DateField("户数统计日期", null=True, blank=True)
    households_source = models.CharField("户数来源", max_length=100, blank=True)
    service_center = _area("service_center")
    police_room = _area("police_room")
    day_care = _area("day_care")
    health_station = _area("health_station")
    culture_room = _area("culture_room")
    grocery = _area("grocery", help_text=GROCERY_HELP)
    other = _area("other", help_text="“其中”所列六类之外的设施用房，导出时写入备注")
    police_room_in_center = _flag("police_room_in_center")
    day_care_in_center = _flag("day_care_in_center")
    health_station_in_center = _flag("health_station_in_center")
    culture_room_in_center = _flag("culture_room_in_center")
    compliance_year = models.PositiveSmallIntegerField(
        LABELS["compliance_year"], null=True, blank=True
    )
    remarks = models.TextField(LABELS["remarks"], max_length=NOTE, blank=True)
    # Comments the street wrote for warnings, keyed by warning code.
    warning_comments = models.JSONField("警告说明", default=dict, blank=True)

    # Kept equal to rules.total_area() of the inputs by the services that write rows, so
    # that dashboards can aggregate compliance in SQL at national scale.
    total_area = models.DecimalField(LABELS["total_area"], max_digits=10, decimal_places=1)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = LedgerRowQuerySet.as_manager()

    class Meta:
        verbose_name = "台账行"
        verbose_name_plural = "台账行"
        ordering = ["period", "street", "community__code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "community"], name="row_unique_community")
        ]
        indexes = [models.Index(fields=["period", "street"], name="row_period_street")]

    def __str__(self) -> str:
        return f"{self.period} {self.community}"


class SubmissionQuerySet(models.QuerySet):
    def approved(self) -> SubmissionQuerySet:
        return self.filter(state=Submission.State.APPROVED)


class Submission(models.Model):
    """A street's ledger for one period on its way up: 草稿 → 已上报 → 已审核 (or 退回)."""

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已上报"
        APPROVED = "approved", "已审核"
        RETURNED = "returned", "退回"

    # The states in which the street's rows may still be changed.
    EDITABLE_STATES = (State.DRAFT, State.RETURNED)

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="submissions")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="submissions")
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    # How many times this ledger has been approved; reopening and approving again makes
    # version 2, 3, … each sealed with its own fingerprint.
    approved_version = models.PositiveIntegerField("审核版本", default=0)
    submitted_at = models.DateTimeField("上报时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField("逾期上报", default=False)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.TextField("退回原因", max_length=REASON, blank=True)
    reopen_reason = models.TextField("重新打开原因", max_length=REASON, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = "上报"
        verbose_name_plural = "上报"
        constraints = [
            models.UniqueConstraint(fields=["period", "street"], name="submission_unique_street"),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_reason=""),
                name="submission_return_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.street} {self.get_state_display()}"

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES


class SealedVersion(models.Model):
    """An approved version of a street's ledger, fingerprinted and chained (tamper evidence).

    `snapshot` is the canonical form the fingerprint was computed over; `fingerprint` is
    SHA-256 of the street's previous fingerprint and the snapshot.
    """

    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField("版本")
    sequence = models.PositiveIntegerField("链序")
    sealed_at = models.DateTimeField("审核时间")
    sealed_by = models.CharField("审核人", max_length=150)
    snapshot = models.TextField("规范化内容")
    previous_fingerprint = models.CharField("上一指纹", max_length=64, blank=True)
    fingerprint = models.CharField("指纹", max_length=64)

    class Meta:
        verbose_name = "审核版本"
        verbose_name_plural = "审核版本"
        ordering = ["street", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["street", "sequence"], name="sealed_unique_sequence"),
            models.UniqueConstraint(
                fields=["street", "period", "version"], name="sealed_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.street} {self.period} 第{self.version}版 {self.fingerprint[:12]}"
