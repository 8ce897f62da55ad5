from django.apps import AppConfig


class ChecklistConfig(AppConfig):
    name = "shequ.checklist"
    label = "checklist"
    verbose_name = "便民服务中心功能设置与标识"
