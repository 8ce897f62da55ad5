from django.contrib.auth.models import AbstractUser
from django.db import models

from shequ.regions.models import Region


class Role(models.TextChoices):
    VIEWER = "viewer", "查看"
    EDITOR = "editor", "填报"
    APPROVER = "approver", "审核"
    ADMIN = "admin", "管理"


class User(AbstractUser):
    """A user works at one node of the region tree, in one role."""

    node = models.ForeignKey(
        Region,
        verbose_name="所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="用户只能看到并操作这个区划及其下级",
    )
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.VIEWER)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A personal access token for the API (`Authorization: Bearer …`). Only its SHA-256
    is stored; the token itself is shown once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("开头", max_length=12)
    key_hash = models.CharField("摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "访问令牌"
        verbose_name_plural = "访问令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user.username} {self.name} {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
