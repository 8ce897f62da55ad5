"""A save refused because someone saved first (`core.versions.StaleEdit`, ADR 0040), as a
page answers it: 409, the form keeping everything the user typed, the current values
beside theirs (`web/_conflict.html`), and the form carrying the current version, so that
sending it again saves what they typed — after they have seen what it replaces."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.http import HttpRequest, QueryDict

from shequ.core.versions import StaleEdit
from shequ.web.query import posted_id

CONFLICT_STATUS = 409


def page_status(forms: dict) -> int:
    """409 while the page shows a refused save (`conflict`) or act (`act_conflict`)."""
    return CONFLICT_STATUS if forms.get("conflict") or forms.get("act_conflict") else 200


def act_as_read(request: HttpRequest, forms: dict, act: Callable[[int | None], object]) -> bool:
    """Run an act that sends no values of its own (delete, pay, cancel) with the version
    the page was drawn with; refused because someone changed the object since, the
    refusal is kept for the page to show above its table (`act_conflict`), which draws the
    object as it is now, and False is returned."""
    try:
        act(posted_id(request, "version", "版本"))
    except StaleEdit as stale:
        forms["act_conflict"] = stale
        return False
    return True


def version_field() -> forms.IntegerField:
    """The version the page was drawn with, sent back with the form."""
    return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


def track_changes(form: forms.BaseForm) -> None:
    """Each field sends back the value it was drawn with (Django's hidden initial), so that
    a save knows which fields this user changed: the others follow what is stored."""
    for field in form.fields.values():
        if not isinstance(field.widget, forms.HiddenInput):
            field.show_hidden_initial = True


def edited(form: forms.BaseForm) -> set[str]:
    """The fields the user changed on the page (the version is not one of them)."""
    return {name for name in form.changed_data if name != "version"}


def rebased(posted: forms.BaseForm, current: forms.BaseForm) -> QueryDict:
    """After a conflict: the posted form keeping what the user changed, every other field
    and every drawn-with value taken from `current` (a form drawn from what is stored now,
    with its version) — sent again, it puts their changes on top of the current values."""
    data = posted.data.copy()
    changed = edited(posted)
    for name, field in current.fields.items():
        value = current[name].value()
        text = "" if value is None else str(value)
        if name not in changed:
            data[current.add_prefix(name)] = text
        if field.show_hidden_initial:
            data[current.add_initial_prefix(name)] = text
    return data
