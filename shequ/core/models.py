from django.conf import settings
from django.db import models

from shequ.core.text import NOTE


class AuditEvent(models.Model):
    """One entry of the audit trail: who did what, when, from what to what, and why.

    Written in the same transaction as the change it records (see `audit.audit_record`).
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField("操作人", max_length=150)
    action = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象", max_length=64, db_index=True)
    # The materialised path of the region concerned, so that the trail can be scoped to a
    # subtree without core knowing about regions.
    region_path = models.CharField("区划路径", max_length=255, blank=True, db_index=True)
    summary = models.CharField("摘要", max_length=500)
    changes = models.JSONField("变更", default=dict, blank=True)
    reason = models.TextField("原因", max_length=NOTE, blank=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.summary}"


class Setting(models.Model):
    """A value administrators may change at run time (thresholds, flags), keyed by name."""

    key = models.CharField("名称", max_length=64, unique=True)
    value = models.JSONField("值")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "系统设置"
        verbose_name_plural = "系统设置"

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"


class Notification(models.Model):
    """A message shown to one user on screen (and mailed when they have an address)."""

    class Kind(models.TextChoices):
        # What the message is about, for the 通知 page's filter; each sender names its own.
        SUBMITTED = "submitted", "上报"
        APPROVED = "approved", "审核通过"
        RETURNED = "returned", "退回"
        REOPENED = "reopened", "重新打开"
        REMINDER = "reminder", "催报"
        # To the district's administrators, never mailed: the mail is what failed.
        MAIL_FAILURE = "mail_failure", "邮件发送失败"
        OTHER = "other", "其他"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类别", max_length=16, choices=Kind.choices, default=Kind.OTHER)
    message = models.CharField("内容", max_length=500)
    url = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.message
