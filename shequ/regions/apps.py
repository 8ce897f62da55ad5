from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "shequ.regions"
    label = "regions"
    verbose_name = "区划"
