from django.apps import AppConfig


class ShequConfig(AppConfig):
    """The project package itself is an app only to carry the `shequ` CLI verbs."""

    name = "shequ"
    verbose_name = "社区设施台账"
