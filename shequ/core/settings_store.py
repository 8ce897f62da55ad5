"""Run-time settings stored in the database, with code defaults."""

from typing import Any

from shequ.core.models import Setting

DEMO_FLAG = "demo"


def setting_get(key: str, default: Any = None) -> Any:
    row = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    return default if row is None else row


def settings_get_many(keys) -> dict[str, Any]:
    """Stored values for several keys in one query (missing keys are absent)."""
    return dict(Setting.objects.filter(key__in=list(keys)).values_list("key", "value"))


def setting_set(key: str, value: Any) -> None:
    Setting.objects.update_or_create(key=key, defaults={"value": value})


def is_demo() -> bool:
    return bool(setting_get(DEMO_FLAG, False))
