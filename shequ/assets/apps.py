from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "shequ.assets"
    label = "assets"
    verbose_name = "闲置资产"
