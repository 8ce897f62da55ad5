from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shequ.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from shequ.core.lookups import register_lookups

        register_lookups()
