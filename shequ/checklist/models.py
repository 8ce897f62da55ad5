"""One row per community × checklist item (便民服务中心功能设置与标识)."""

from django.db import models
from django.db.models import Q

from shequ.checklist.items import CHOICES, ROOM_CODES
from shequ.regions.models import Region


class ChecklistEntry(models.Model):
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="checklist_entries"
    )
    item = models.CharField("项目", max_length=24, choices=CHOICES)
    present = models.BooleanField("已设置", default=False)
    # Rooms only; optional: the notice asks for the function, not for a size.
    area = models.DecimalField("面积（㎡）", max_digits=7, decimal_places=1, null=True, blank=True)
    # Items of one community with the same room name share one room (一室多用).
    room_name = models.CharField("所在房间", max_length=50, blank=True)
    photo = models.FileField("照片", upload_to="checklist/photos/", blank=True)
    photo_name = models.CharField("照片原文件名", max_length=200, blank=True)
    # Optimistic locking of the item's values (core.versions); a photo is not versioned.
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.CharField("更新人", max_length=150, blank=True)

    class Meta:
        verbose_name = "功能设置项"
        verbose_name_plural = "功能设置项"
        ordering = ["community__code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "item"], name="checklist_one_per_item"),
            models.CheckConstraint(
                condition=Q(area__isnull=True) | Q(area__gte=0, item__in=ROOM_CODES),
                name="checklist_area_rooms_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} {self.get_item_display()}"
