from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "shequ.plans"
    label = "plans"
    verbose_name = "一社区一方案"
