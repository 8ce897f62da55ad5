"""Optimistic locking of what two people may edit at once (ADR 0040): an idle asset, a
checklist item, a plan's measure, a subsidy allocation — as the ledger's rows do it
(`ledger.rows.row_update`). Each carries a `version`; a page or an API client sends back
the version it read; the service, holding the row's lock, refuses with `StaleEdit` when
the row moved on since, naming each field where the caller's value and the stored one
differ. Nothing is written then; the adapters answer 409 (the API with both values per
field, the page with the current values beside the input it keeps).

The rule is the same for the four, so it is written once here; the domain apps call it
under their own row lock and say what the object is called."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from shequ.core.errors import DomainError
from shequ.core.numbers import decimal_field_step

EMPTY = "（空）"


@dataclass(frozen=True)
class Conflict:
    """One field the caller sent whose value is not the stored one: `yours` and `current`
    as Python values, `yours_text` and `current_text` as a person reads them."""

    field: str
    label: str
    yours: Any
    current: Any
    yours_text: str
    current_text: str

    def as_json(self) -> dict:
        return {
            "field": self.field,
            "label": self.label,
            "yours": plain(self.yours),
            "current": plain(self.current),
        }


class StaleEdit(DomainError):
    """Someone saved the object after the caller read it, and the caller's values differ
    from what is stored now: nothing was saved. A DomainError, so that an adapter that
    does not know it still shows the message rather than failing."""

    def __init__(self, what: str, conflicts: Iterable[Conflict], message: str = ""):
        self.conflicts = tuple(conflicts)
        super().__init__(
            message
            or f"{what}已被他人修改，您的修改没有保存。请核对下列当前内容，"
            "仍要保存时再提交一次（您填写的内容已保留）"
        )


def plain(value: Any) -> Any:
    """A value as JSON carries it: numbers as numbers, dates as ISO text, a related object
    as its code (regions, assets) or id, booleans and text as they are."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or value.pk
    return value


def text(model: type[models.Model], name: str, value: Any) -> str:
    """A value as a person reads it: a choice's label, a region's or asset's name, 是/否."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, models.Model):
        return str(getattr(value, "name", None) or value)
    choices = dict(model._meta.get_field(name).flatchoices)
    if value in choices:
        return str(choices[value])
    if isinstance(value, Decimal):
        return _decimal_text(model, name, value)
    return str(value)


def _decimal_text(model: type[models.Model], name: str, value: Decimal) -> str:
    """As the pages show the column: 630.0 ㎡ stays 630.0 beside the form's 610.0 (a whole
    number cut to 630 read as a different figure); a value without places as it is."""
    if not isinstance(model._meta.get_field(name), models.DecimalField) or not value.is_finite():
        return format(value.normalize() if value == value.to_integral() else value, "f")
    return format(value.quantize(decimal_field_step(model, name)), "f")


def _same(a: Any, b: Any) -> bool:
    return a == b or ({a, b} <= {None, ""})


def conflicts_with(
    stored: models.Model,
    yours: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    prefix: str = "",
) -> list[Conflict]:
    """The fields of `yours` whose value is not the one `stored` holds now. `prefix` names
    the fields of one of several objects saved together (a checklist's items)."""
    model = type(stored)
    labels = labels or {}
    found = []
    for name, value in yours.items():
        current = getattr(stored, name)
        if _same(plain(value), plain(current)):
            continue
        label = labels.get(name) or str(model._meta.get_field(name).verbose_name)
        found.append(
            Conflict(
                field=f"{prefix}{name}",
                label=label,
                yours=value,
                current=current,
                yours_text=text(model, name, value),
                current_text=text(model, name, current),
            )
        )
    return found


def is_stale(stored: models.Model, expected_version: int | None) -> bool:
    """Has the object moved on since the caller read it? A caller with no version read
    (a command, the demo, a service acting for another) is not asking."""
    return expected_version is not None and stored.version != expected_version


def require_current(
    stored: models.Model,
    expected_version: int | None,
    yours: Mapping[str, Any],
    *,
    what: str,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Refuse with `StaleEdit` when `stored` (read under its row lock) moved on since
    `expected_version` and the caller's values differ from it. When every value sent is
    already the stored one, nobody's change is lost, so the save goes ahead (a form sent
    twice, or two people typing the same)."""
    if not is_stale(stored, expected_version):
        return
    conflicts = conflicts_with(stored, yours, labels=labels)
    if conflicts:
        raise StaleEdit(what, conflicts)


def require_unchanged(stored: models.Model, expected_version: int | None, *, what: str, act: str):
    """For an act that sends no values of its own (deleting a measure, paying or cancelling
    an allocation): refused with `StaleEdit` whenever `stored` (read under its row lock)
    moved on since `expected_version` — the caller decided on what they saw, and what is
    stored now is not that. Nothing to compare, so no `conflicts`: the adapters show the
    object as it is now."""
    if is_stale(stored, expected_version):
        raise StaleEdit(
            what,
            (),
            message=f"{what}在您查看之后已被他人修改，没有{act}。"
            f"请核对当前内容，仍要{act}时再操作一次",
        )


def deleted_since(what: str) -> StaleEdit:
    """The refusal of a save or an act on an object someone deleted after the caller read
    it: the same conflict, nothing done, the page showing what is there now."""
    return StaleEdit(what, (), message=f"{what}已被他人删除。请核对当前内容")


def next_version(stored: models.Model) -> None:
    """The object's next version, set before it is saved under its row lock."""
    stored.version = (stored.version or 0) + 1
