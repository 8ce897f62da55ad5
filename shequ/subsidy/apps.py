from django.apps import AppConfig


class SubsidyConfig(AppConfig):
    name = "shequ.subsidy"
    label = "subsidy"
    verbose_name = "补助资金"
