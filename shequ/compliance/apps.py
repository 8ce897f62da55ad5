from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "shequ.compliance"
    label = "compliance"
    verbose_name = "达标情况"
